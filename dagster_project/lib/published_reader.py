"""The published warehouse opened read-only for the command-line readers (`make profile`, `make works`), with
one sentence when it is missing or older than the marts they read. No Dagster here: the readers start fast."""

from __future__ import annotations

from pathlib import Path

import duckdb


def open_published(path: Path, marts: tuple[str, ...], built_before: str, error: type[Exception]) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published file at `path` holding every mart of `marts`. Raises `error` with
    one sentence when the file is missing, or lacks a mart because it was built before `built_before`."""
    if not path.is_file():
        raise error(f"No published warehouse at {path}: run `make run` first (or set WAREHOUSE_PATH).")
    con = duckdb.connect(str(path), read_only=True)
    present = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    missing = [m for m in marts if m not in present]
    if missing:
        con.close()
        raise error(f"{path} has no marts.{', marts.'.join(missing)}: it was built before {built_before}; "
                    "rebuild it with `make run`.")
    return con
