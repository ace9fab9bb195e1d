"""The ROR-id rule on one table of cases (tests/fixtures/ror_id_cases.csv: the forms real records and analysts give,
and what must be rejected): dbt's macro, the rule's one statement, agrees with the table case by case both where
the staging models run it (through dbt) and where Python evaluates it (dagster_project/lib/ror_id.py, for the profile
CLI, the watchlist and the seed builder). The dbt side is run through dbt itself (`dbt show
--inline`), together with the OpenAlex-id macro and the schema-era macro on its own table of cases
(tests/fixtures/schema_era_cases.csv, whose Python side is tests/test_schema_era.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dagster_project.lib.ror_id import normalise_ror_id
from tests.conftest import dbt_build_path, run_dbt

CASES_FILE = Path(__file__).parent / "fixtures" / "ror_id_cases.csv"
ERA_CASES_FILE = Path(__file__).parent / "fixtures" / "schema_era_cases.csv"


def ror_cases() -> list[dict[str, str]]:
    with CASES_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_case_table_holds_accepted_and_rejected_forms_with_a_reason_each():
    cases = ror_cases()
    assert len({c["input"] for c in cases}) == len(cases)
    assert all(c["why"] for c in cases)
    accepted = [c for c in cases if c["expected"]]
    assert len(accepted) >= 10
    assert len(cases) - len(accepted) >= 15
    assert all(normalise_ror_id(c["expected"]) == c["expected"] for c in accepted)  # a bare id stays as it is


@pytest.mark.parametrize("case", ror_cases(), ids=lambda c: c["why"])
def test_python_reads_each_ror_id_form_as_the_table_says(case):
    assert normalise_ror_id(case["input"]) == (case["expected"] or None)


def test_the_ror_rule_is_stated_in_dbt_alone():
    """No Python module holds a pattern or check digits of its own: Python evaluates the dbt macro."""
    root = Path(__file__).resolve().parent.parent
    stated = [p for d in ("dagster_project", "scripts") for p in (root / d).rglob("*.py")
              if any(mark in p.read_text(encoding="utf-8") for mark in ("hjkmnp", "% 97", "ror\\.org"))]
    assert stated == []
    from dagster_project.lib.ror_id import ror_id_sql

    assert "regexp_extract" in ror_id_sql()
    assert "% 97" in ror_id_sql()


OPENALEX_CASES = [  # (as given, openalex_short_id)
    ("https://openalex.org/W2741809807", "W2741809807"),
    ("W2741809807", "W2741809807"),
    ("https://ror.org/02kkvpp62/", "02kkvpp62"),
    ("", None),
]


@pytest.mark.slow  # dbt show
def test_dbt_reads_ror_ids_and_schema_eras_as_their_tables_say_and_openalex_ids_by_their_tail(tmp_path, monkeypatch):
    # The tables are read by DuckDB itself, so nothing from them is pasted into the SQL.
    path, era_path = str(CASES_FILE), str(ERA_CASES_FILE)
    assert "'" not in path + era_path
    openalex = ", ".join("('" + given.replace("'", "''") + "')" for given, _ in OPENALEX_CASES)
    sql = (
        "select 'ror' as kind, input as given, {{ ror_short_id('input') }} as normalised "
        f"from read_csv('{path}', header = true, all_varchar = true) "
        "union all "
        "select 'openalex', given, {{ openalex_short_id('given') }} "
        f"from (values {openalex}) as t (given) "
        "union all "
        "select 'era', why, {{ schema_era() }} "
        f"from read_csv('{era_path}', header = true, all_varchar = true)"
    )
    cases = ror_cases()
    with ERA_CASES_FILE.open(newline="", encoding="utf-8") as handle:
        era_cases = {row["why"]: row["era"] for row in csv.DictReader(handle)}
    invocation, events = run_dbt(dbt_build_path(monkeypatch, tmp_path), "show", "--inline", sql,
                                 "--limit", str(len(cases) + len(OPENALEX_CASES) + len(era_cases)), "--output", "json")
    assert invocation.is_successful(), invocation.get_error()
    previews = [e["data"]["preview"] for e in events if "preview" in e.get("data", {})]
    rows = json.loads(previews[-1])
    got_ror = {row["given"] or "": row["normalised"] for row in rows if row["kind"] == "ror"}
    assert got_ror == {c["input"]: c["expected"] or None for c in cases}
    got_openalex = {row["given"]: row["normalised"] for row in rows if row["kind"] == "openalex"}
    assert got_openalex == dict(OPENALEX_CASES)
    assert {row["given"]: row["normalised"] for row in rows if row["kind"] == "era"} == era_cases
