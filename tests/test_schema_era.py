"""The schema-era rule (dbt's schema_era macro, its one statement) on one table of cases
(tests/fixtures/schema_era_cases.csv): the era of one record, and the counts the raw asset and the API landing
report, both read through dagster_project/ingest/raw_schema.py. test_id_normalisation runs the same table through
dbt itself."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from dagster_project.ingest.openalex_api.landing import schema_era
from dagster_project.ingest.raw_schema import schema_eras, work_fields_present

CASES_FILE = Path(__file__).parent / "fixtures" / "schema_era_cases.csv"
FIELDS = ("host_venue", "grants", "funders", "awards")


def era_cases() -> list[dict[str, str]]:
    with CASES_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def record(case: dict[str, str]) -> dict:
    """A work record carrying the case's fields (an empty list or object is there all the same), and a null one."""
    rec = {"id": "W1", "title": "t", "grants": None}
    rec.update({field: ([] if field != "host_venue" else {}) for field in FIELDS if case[field] == "present"})
    return rec


@pytest.mark.parametrize("case", era_cases(), ids=lambda c: c["why"])
def test_a_record_has_the_era_the_table_says(case):
    assert schema_era(record(case)) == case["era"]


def test_the_counts_of_a_landing_follow_the_table():
    cases = era_cases()
    fields = Counter(work_fields_present(record(case)) for case in cases for _ in range(2))
    assert schema_eras(fields) == {era: 2 * n for era, n in Counter(case["era"] for case in cases).items()}
    assert schema_eras(Counter()) == {}
