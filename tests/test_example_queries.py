"""Every example query in docs/queries runs on the demo warehouse and answers with rows."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

QUERIES = sorted((Path(__file__).resolve().parent.parent / "docs" / "queries").glob("*.sql"))


def test_there_are_example_queries_for_the_study_questions():
    names = " ".join(q.stem for q in QUERIES)
    for topic in ("per_year", "uk", "military", "pairs", "funders"):
        assert topic in names, topic


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_example_query_runs_and_returns_rows(query, demo_run):
    sql = query.read_text()
    assert sql.lstrip().startswith("--"), "each query starts with a comment saying what it answers"
    with duckdb.connect(str(demo_run["settings"].warehouse_path), read_only=True) as con:
        marts = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
        needed = set(re.findall(r"\bmarts\.(\w+)", sql))
        if needed - marts:
            pytest.skip(f"this warehouse has no {', '.join(sorted(needed - marts))} yet")
        rows = con.execute(sql).fetchall()
    assert rows, f"{query.name} returned no rows on the demo data"
