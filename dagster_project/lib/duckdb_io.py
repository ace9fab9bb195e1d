"""Small helpers around the warehouse's DuckDB files."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from ..settings import load_settings


@contextmanager
def connect(path: Path, read_only: bool = False):
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    # DuckDB would take 80 % of RAM; capped, it spills to disk and memory stays flat as the data grows.
    con = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit()})
    try:
        yield con
    finally:
        con.close()


def literal(text: str) -> str:
    """`text` as a SQL string literal, for the few statements that take no parameters (ATTACH, COPY … TO)."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def memory_limit() -> str:
    """DuckDB's memory cap for the pipeline's connections and dbt's (dbt/profiles.yml reads the same variable)."""
    return load_settings().memory_limit


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    def cell(v) -> str:
        text = "" if v is None else str(v)
        return (text[:60] + "…" if len(text) > 60 else text).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(cell(v) for v in row) + " |\n" for row in rows)


def table_metadata(con: duckdb.DuckDBPyConnection, relation: str, preview_rows: int = 5) -> dict:
    """Row count and a preview of a table, as Dagster metadata."""
    rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    cur = con.execute(f"select * from {relation} limit {preview_rows}")
    columns = [d[0] for d in cur.description]
    return {
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "preview": dg.MetadataValue.md(markdown_table(columns, cur.fetchall())),
        "table": dg.MetadataValue.text(relation),
    }
