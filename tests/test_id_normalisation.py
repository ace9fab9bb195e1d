"""The dbt macros that normalise OpenAlex and ROR ids, on the forms real records and analysts give them
(run through dbt itself: `dbt show --inline`)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import dbt_build_path, run_dbt

pytestmark = pytest.mark.slow  # dbt show

CASES = [  # (as given, ror_short_id, openalex_short_id)
    ("https://ror.org/https://ror.org/01t3wyv61", "01t3wyv61", "01t3wyv61"),  # doubled prefix, real 2025-11 snapshot lines
    ("https://ror.org/02kkvpp62", "02kkvpp62", "02kkvpp62"),
    ("https://ror.org/02kkvpp62/", "02kkvpp62", "02kkvpp62"),
    ("02KKVPP62", "02kkvpp62", "02KKVPP62"),
    (" https://ror.org/02kkvpp62 ", "02kkvpp62", "02kkvpp62 "),
    ("", None, None),
    ("https://openalex.org/W2741809807", None, "W2741809807"),
    ("W2741809807", None, "W2741809807"),
]


def test_ror_and_openalex_ids_normalise_from_every_form_they_arrive_in(tmp_path, monkeypatch):
    values = ", ".join("('" + given.replace("'", "''") + "')" for given, _, _ in CASES)
    sql = (
        "select given, {{ ror_short_id('given') }} as ror_id, {{ openalex_short_id('given') }} as short_id "
        f"from (values {values}) as t(given)"
    )
    invocation, events = run_dbt(dbt_build_path(monkeypatch, tmp_path), "show", "--inline", sql,
                                 "--limit", str(len(CASES)), "--output", "json")
    assert invocation.is_successful(), invocation.get_error()
    previews = [e["data"]["preview"] for e in events if "preview" in e.get("data", {})]
    rows = {row["given"]: (row["ror_id"], row["short_id"]) for row in json.loads(previews[-1])}
    assert rows == {given: (ror, short) for given, ror, short in CASES}
