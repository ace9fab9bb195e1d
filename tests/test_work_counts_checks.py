"""The rules on the API's denominators (`openalex.work_counts`): dbt tests on the source, shown as Dagster checks.

The counts are written by the fetch's own code (`work_counts_rows`), so the tests guard the file it lands; each
broken rule must fail its own test and no other. An empty table (sources other than api) is what every demo run
checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.ingest.openalex_api.landing import work_counts_rows
from dagster_project.ingest.openalex_api.query import StudyScope
from tests.conftest import dbt_build_path, run_dbt

SCOPE = StudyScope.from_dbt()
TESTS = {
    "every_scope_and_year": "assert_work_counts_cover_every_scope_and_year",
    "europe_at_least_country": "assert_work_counts_europe_at_least_each_country",
    "not_negative": "source_at_least_openalex_work_counts_works_count__0",
    "one_row_per_scope_year": "source_unique_combination_openalex_work_counts_scope__publication_year",
    "count_present": "source_not_null_openalex_work_counts_works_count",
    "scope_present": "source_not_null_openalex_work_counts_scope",
    "year_present": "source_not_null_openalex_work_counts_publication_year",
}


def fetched_rows() -> list[dict]:
    """Counts as the fetch lands them: Europe once per work, so at least each country and below their sum."""
    counts = {}
    for i, (scope, _) in enumerate(SCOPE.scopes()):
        per_year = {str(y): 200 if scope == "EUROPE" else 20 + i for y in SCOPE.years}
        for part in ("concept", "subfield", "both"):
            groups = per_year if part != "both" else {y: n // 2 for y, n in per_year.items()}
            counts[f"{scope}|{part}"] = {"groups": groups, "fetched_at": "2026-11-27T00:00:00+00:00"}
    return work_counts_rows(SCOPE, counts, warn=pytest.fail)


def write_db(path: Path, rows: list[dict]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.work_counts (scope varchar, publication_year integer, works_count bigint, "
                    "query varchar, fetched_at timestamp)")
        if rows:
            con.executemany("insert into raw.work_counts values (?, ?, ?, ?, ?)",
                            [[r["scope"], r["publication_year"], r["works_count"], r["query"], r["fetched_at"]] for r in rows])


def dbt_source_tests(db: Path, rows: list[dict]) -> dict[str, int | None]:
    """`dbt test` on the source's tests against a warehouse holding `rows`: test name -> failing rows (None: error)."""
    db.unlink(missing_ok=True)
    write_db(db, rows)
    invocation, _ = run_dbt(db, "test", "--select", "source:openalex.work_counts")
    results = json.loads((invocation.target_path / "run_results.json").read_text())["results"]
    failures = {r["unique_id"].split(".")[2]: (r["failures"] if r["status"] in ("pass", "fail") else None) for r in results
                if r["unique_id"].startswith("test.")}  # not the project's on-run-start hook
    assert set(failures) == set(TESTS.values()), invocation.get_error()
    return failures


def test_the_work_counts_rules_are_checks_on_the_raw_asset():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == dg.AssetKey(["openalex", "work_counts"])}
    assert checks == set(TESTS.values())


@pytest.mark.slow  # two dbt invocations
def test_complete_counts_pass_and_each_broken_rule_is_caught_by_its_own_test(tmp_path, monkeypatch):
    db = dbt_build_path(monkeypatch, tmp_path)
    good = fetched_rows()
    assert len(good) == len(SCOPE.scopes()) * len(SCOPE.years)
    assert dbt_source_tests(db, good) == {name: 0 for name in TESTS.values()}

    # One break per rule, on different rows, so each test's failing rows are exactly its own break.
    missing, inflated = (SCOPE.europe[0], SCOPE.years[2]), (SCOPE.europe[1], SCOPE.years[3])
    broken = []
    for r in good:
        key = (r["scope"], r["publication_year"])
        if key == missing:
            continue
        if key == inflated:
            r = dict(r, works_count=10_000)  # above Europe's count that year
        if key == ("CN", SCOPE.years[0]):
            r = dict(r, works_count=-1)
        broken.append(r)
    broken.append(next(r for r in good if (r["scope"], r["publication_year"]) == ("CN", SCOPE.years[1])))  # twice
    assert dbt_source_tests(db, broken) == {
        TESTS["every_scope_and_year"]: 1, TESTS["europe_at_least_country"]: 1, TESTS["not_negative"]: 1,
        TESTS["one_row_per_scope_year"]: 1,
        TESTS["count_present"]: 0, TESTS["scope_present"]: 0, TESTS["year_present"]: 0,
    }
