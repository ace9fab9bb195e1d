"""`make run`'s entry point when a run fails or cannot start, the weekly schedule, and what the next build reloads
after a seed changed. (A successful `make run` is tests/test_real_records.py's: two `make run` processes, one
winning; a failing step after the publish is tests/test_run_safety.py's.)"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from tests.conftest import set_warehouse_env


@pytest.mark.slow  # a whole job run (that stops at its raw step)
def test_a_failed_run_names_its_step_says_nothing_was_published_and_exits_1(tmp_path, monkeypatch, capsys):
    from dagster_project.run import main

    empty = tmp_path / "empty_snapshot"
    empty.mkdir()
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(empty))
    assert main() == 1
    out, err = capsys.readouterr()
    assert out.startswith("OpenAlex source: snapshot (")
    [log_line] = [line for line in out.splitlines() if line.startswith("Full log: ")]
    log = log_line.removeprefix("Full log: ")
    assert f"OPENALEX_SNAPSHOT_DIR='{empty}' holds no works part files" in open(log, encoding="utf-8").read()
    assert err.strip().splitlines()[-1] == "The run stopped (steps failed: openalex_raw); nothing was published."
    assert "Headline figures" not in out


def test_a_bad_setting_is_one_line_and_exits_2_before_any_run(tmp_path, monkeypatch, capsys):
    from dagster_project.run import main

    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(tmp_path / "missing"))
    assert main() == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines() == [
        f"OPENALEX_SNAPSHOT_DIR='{tmp_path / 'missing'}' is not a folder: expected the root of an OpenAlex snapshot."]
    assert not (tmp_path / "dagster_home" / "storage").exists()


def test_the_weekly_schedule_updates_the_warehouse_on_mondays_at_three_utc_and_is_off_until_switched_on():
    from dagster_project.definitions import defs
    from dagster_project.schedules import weekly_api_refresh

    schedule = defs.resolve_schedule_def(weekly_api_refresh.name)  # the code location serves it
    assert schedule.job_name == "update_warehouse"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 3 * * 1", "UTC")  # Mondays, 03:00 UTC
    with dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 7, 3, 0, tzinfo=UTC)) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    # The run the schedule asks for is the incremental update job's, with nothing else to configure.
    assert request.job_name in (None, "update_warehouse")
    assert not request.run_config


@pytest.fixture
def built(tmp_path, monkeypatch):
    """A build database whose recorded fingerprints and reference tables are those of the project as it is: the
    state a passed build leaves."""
    from dagster_project.assets.dbt_fingerprints import (
        incremental_fingerprint,
        record_fingerprints,
        reference_fingerprint,
        seed_nodes,
    )
    from dagster_project.resources import dbt_manifest
    from dagster_project.settings import load_settings

    set_warehouse_env(monkeypatch, tmp_path)
    settings = load_settings()
    manifest = dbt_manifest()
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_path)) as con:
        con.execute("create schema reference")
        for node in seed_nodes(manifest).values():
            con.execute(f'create table reference."{node["alias"]}" (x integer)')
    record_fingerprints(settings.build_path, {"incremental_models": incremental_fingerprint(manifest),
                                              "reference": reference_fingerprint(manifest)})
    return settings, manifest


def _build_args(settings, manifest):
    from dagster_project.assets.dbt import _build_args

    logged = []
    context = SimpleNamespace(run=SimpleNamespace(tags={}), is_subset=False, log=SimpleNamespace(info=logged.append))
    args, to_record = _build_args(context, settings, manifest)
    return " ".join(args), to_record, logged


def test_unchanged_seeds_are_not_reloaded_and_a_changed_seed_is_reloaded_with_every_incremental_model(built):
    settings, manifest = built
    args, to_record, logged = _build_args(settings, manifest)
    assert "resource_type:seed" in args
    assert "--full-refresh" not in args
    assert to_record == {}
    assert any("not reloaded" in line for line in logged)

    changed = copy.deepcopy(manifest)  # a seed file edited: dbt gives it another checksum
    countries = next(node for uid, node in changed["nodes"].items() if uid == "seed.eu_cn_ai.countries")
    countries["checksum"] = {"name": "sha256", "checksum": "0" * 64}
    args, to_record, _ = _build_args(settings, changed)
    assert "resource_type:seed" not in args
    assert "--full-refresh" in args.split()  # the incremental models' rows were made with the old seed
    assert set(to_record) == {"incremental_models", "reference"}


def test_a_changed_test_on_the_seeds_reloads_and_retests_them_without_rebuilding_the_incremental_models(built):
    settings, manifest = built
    changed = copy.deepcopy(manifest)
    test = next(node for uid, node in changed["nodes"].items()
                if node["resource_type"] == "test" and node.get("attached_node") == "seed.eu_cn_ai.countries")
    test["config"] = {**test["config"], "severity": "warn"}
    args, to_record, _ = _build_args(settings, changed)
    assert "resource_type:seed" not in args
    assert "--full-refresh" not in args.split()
    assert set(to_record) == {"reference"}
