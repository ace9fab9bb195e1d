"""The dbt macros that normalise OpenAlex and ROR ids, on the forms real records and analysts give them
(run through dbt itself: `dbt show --inline`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow  # dbt show

DBT = Path(sys.executable).parent / "dbt"

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


def test_ror_and_openalex_ids_normalise_from_every_form_they_arrive_in(tmp_path):
    values = ", ".join("('" + given.replace("'", "''") + "')" for given, _, _ in CASES)
    sql = (
        "select given, {{ ror_short_id('given') }} as ror_id, {{ openalex_short_id('given') }} as short_id "
        f"from (values {values}) as t(given)"
    )
    env = {**os.environ, "DBT_DUCKDB_PATH": str(tmp_path / "show.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [str(DBT), "show", "--inline", sql, "--limit", str(len(CASES)), "--output", "json", "--log-format", "json",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    previews = [json.loads(line)["data"]["preview"] for line in proc.stdout.splitlines() if '"preview"' in line]
    rows = {row["given"]: (row["ror_id"], row["short_id"]) for row in json.loads(previews[-1])}
    assert rows == {given: (ror, short) for given, ror, short in CASES}
