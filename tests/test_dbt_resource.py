"""dbt through dagster-dbt's supported API (dagster_project/resources.py): a dbt process per command, the build
database's path passed on its command line, and nothing changed in the calling process."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from dagster_project import resources

PACKAGE = Path(resources.__file__).parent


def test_a_build_goes_to_the_database_named_on_its_command_line_and_leaves_this_process_alone(tmp_path):
    build_path = tmp_path / "build.duckdb"
    env_before, cwd_before = dict(os.environ), os.getcwd()
    invocation = resources.dbt_resource().cli(
        ["build", "--select", "countries", *resources.dbt_vars(build_path)], raise_on_error=False)
    names = [event.raw_event["info"]["name"] for event in invocation.stream_raw_events()]
    assert invocation.is_successful()
    assert invocation.process.args[0].endswith("/dbt")  # a dbt process, the venv's own
    assert "LogSeedResult" in names and "LogTestResult" in names  # what dagster-dbt turns into Dagster events
    assert (invocation.target_path / "run_results.json").is_file()
    with duckdb.connect(str(build_path), read_only=True) as con:
        assert con.execute("select count(*) from reference.countries").fetchone()[0] > 0
    assert dict(os.environ) == env_before and os.getcwd() == cwd_before


def test_a_dbt_error_fails_the_invocation_with_dbt_s_message(tmp_path):
    invocation = resources.dbt_resource().cli(
        ["run-operation", "no_such_macro", *resources.dbt_vars(tmp_path / "build.duckdb")], raise_on_error=False)
    assert not invocation.is_successful()
    assert invocation.process.returncode == 2  # a dbt process exits 2 when dbt itself fails
    assert "no_such_macro" in str(invocation.get_error())


def test_the_dbt_modules_use_no_patching_private_api_or_process_wide_state():
    own = [PACKAGE / "resources.py", *sorted((PACKAGE / "assets").glob("dbt*.py")), PACKAGE / "assets" / "serving.py",
           *sorted((PACKAGE / "checks").glob("*.py")), PACKAGE / "definitions.py", PACKAGE / "jobs.py"]
    forbidden = re.compile(r"unittest|\bmock\b|dagster\._core|os\.environ\[|os\.environ\.(update|setdefault)|os\.chdir"
                           r"|\._initialize_dbt_core_adapter|\._cli_version")
    found = [f"{path.name}:{n}: {line.strip()}" for path in own
             for n, line in enumerate(path.read_text().splitlines(), 1) if forbidden.search(line)]
    assert not found, found
