"""dbt through dagster-dbt's supported API (dagster_project/resources.py): a dbt process per command, the build
database's path passed on its command line, and nothing changed in the calling process."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

from dagster_project import resources
from tests.conftest import dbt_build_path

pytestmark = pytest.mark.slow  # dbt builds

PACKAGE = Path(resources.__file__).parent


def test_a_build_goes_to_the_database_named_on_its_command_line_and_leaves_this_process_alone(tmp_path, monkeypatch):
    build_path = dbt_build_path(monkeypatch, tmp_path)
    env_before, cwd_before = dict(os.environ), os.getcwd()
    invocation = resources.dbt_resource().cli(
        ["build", "--select", "countries", *resources.dbt_vars(build_path)], raise_on_error=False)
    names = [event.raw_event["info"]["name"] for event in invocation.stream_raw_events()]
    assert invocation.is_successful()
    assert invocation.process.args[0].endswith("/warehouse-dbt")  # a dbt process, the venv's own (dbt_executable.py)
    assert "LogSeedResult" in names  # what dagster-dbt turns into Dagster events
    assert "LogTestResult" in names
    assert (invocation.target_path / "run_results.json").is_file()
    with duckdb.connect(str(build_path), read_only=True) as con:
        assert con.execute("select count(*) from reference.countries").fetchone()[0] > 0
    assert dict(os.environ) == env_before
    assert os.getcwd() == cwd_before


def test_a_dbt_error_fails_the_invocation_with_dbt_s_message(tmp_path, monkeypatch):
    invocation = resources.dbt_resource().cli(
        ["run-operation", "no_such_macro", *resources.dbt_vars(dbt_build_path(monkeypatch, tmp_path))], raise_on_error=False)
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


def test_the_dbt_unit_tests_pass(demo_run, tmp_path, monkeypatch):
    """dbt's unit tests (the tricky SQL on fixed inputs) run here rather than in every warehouse run. They need
    their models' parents to exist: a copy of the session's build database has them."""
    import shutil

    build_path = dbt_build_path(monkeypatch, tmp_path)
    shutil.copyfile(demo_run["settings"].build_path, build_path)
    unit = resources.dbt_resource().cli(["test", "--select", "resource_type:unit_test", *resources.dbt_vars(build_path)],
                                        raise_on_error=False)
    results = [e.raw_event["data"]["node_info"] for e in unit.stream_raw_events() if e.raw_event["info"]["name"] == "LogTestResult"]
    manifest = resources.dbt_manifest()
    assert unit.is_successful(), [r["unique_id"] for r in results if r["node_status"] != "pass"]
    assert sorted(r["unique_id"] for r in results) == sorted(manifest["unit_tests"])


def _dbt_build_args(result) -> dict:
    """The arguments of the run's one `dbt build`, from the run results dbt left in its target folder."""
    import json

    target = Path(resources.dbt_project.manifest_path).parent
    builds = [json.loads((d / "run_results.json").read_text())["args"] for d in target.glob(f"dbt_build-{result.run_id[:7]}-*")
              if (d / "run_results.json").is_file()]
    assert len(builds) == 1, f"{len(builds)} dbt builds in one run"
    return builds[0]


def test_full_refresh_rebuilds_every_model_and_reloads_the_seeds(demo_run):
    result = demo_run["result"]
    assert result.success
    assert _dbt_build_args(result).get("full_refresh") is True
    assert "reference" in {e.asset_key.path[0] for e in result.get_asset_materialization_events()}


def test_update_warehouse_builds_incrementally_and_every_test_but_the_seeds_own_reports(rerun):
    """Unchanged seeds are not reloaded, and their own tests not rerun; every other dbt test still runs, those that
    check a model against a seed included (e.g. a country code against the ISO list), and reports as its check."""
    result = rerun["result"]
    assert result.success
    args = _dbt_build_args(result)
    assert not args.get("full_refresh")
    assert "resource_type:seed" in " ".join(args.get("exclude") or [])
    manifest = resources.dbt_manifest()
    from dagster_project.assets.dbt_fingerprints import tests_seeds_only

    expected = {n["name"] for uid, n in manifest["nodes"].items()
                if n["resource_type"] == "test" and not tests_seeds_only(manifest, uid)}
    reported = {e.check_name for e in result.get_asset_check_evaluations()}
    assert "stg_openalex__authorship_institutions_country_code_is_iso_3166" in expected
    assert expected - reported == set()


def test_an_incremental_model_changed_since_its_last_build_forces_a_full_rebuild(marts_only_run):
    """The build database records what its incremental models were last built from. When that is not the project's
    current SQL (here: a fingerprint recorded by other SQL), the next run rebuilds them from scratch, whatever the
    job (here marts_only), and records the new fingerprint once the build passes."""
    from dagster_project.assets.dbt_fingerprints import incremental_fingerprint, recorded_state

    result = marts_only_run["result"]
    assert _dbt_build_args(result).get("full_refresh") is True
    dbt_step = [e for e in result.all_events if e.step_key == "dbt_build" and e.event_type_value == "STEP_SUCCESS"]
    assert dbt_step, "the dbt build passed (only a Dagster check planted after it failed)"
    build = marts_only_run["settings"].build_path
    assert recorded_state(build)[0]["incremental_models"] == incremental_fingerprint(resources.dbt_manifest())
