"""dbt runs inside the step's process (dagster_project/resources.py): it must report like a dbt process and
leave the build database free for the steps after it."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project import resources


@pytest.fixture
def build_path(tmp_path, monkeypatch):
    path = tmp_path / "build.duckdb"
    monkeypatch.setenv("DBT_DUCKDB_PATH", str(path))
    return path


def test_a_build_reports_its_nodes_and_releases_the_database_for_this_process(build_path):
    dbt = resources.dbt_resource()
    first = dbt.cli(["build", "--select", "countries"], raise_on_error=False)
    assert first.is_successful()
    names = [event.raw_event["info"]["name"] for event in first.stream_raw_events()]
    assert "LogSeedResult" in names and "LogTestResult" in names  # what dagster-dbt turns into Dagster events
    assert (first.target_path / "run_results.json").is_file()

    # DuckDB refuses a second connection to an open file with other settings within one process.
    with duckdb.connect(str(build_path), read_only=True) as con:
        assert con.execute("select count(*) from reference.countries").fetchone()[0] > 0

    parsed = dict(resources._parsed_projects)
    second = dbt.cli(["build", "--select", "countries"], raise_on_error=False)
    assert second.is_successful()
    # The project is parsed once per process, not once per build.
    assert parsed and all(resources._parsed_projects.get(key) is project for key, project in parsed.items())


def test_a_dbt_error_fails_the_invocation_with_dbt_s_message(build_path):
    invocation = resources.dbt_resource().cli(["run-operation", "no_such_macro"], raise_on_error=False)
    assert not invocation.is_successful()
    assert invocation.process.returncode == 2  # as a dbt process exits when dbt itself fails
    assert "no_such_macro" in str(invocation.get_error())
