"""Settings are validated once, before Dagster starts: a bad value is one line naming the variable, the value and
what is allowed, and a non-zero exit; the code location refuses to load with the same sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.settings import PROJECT_ROOT, SettingsError, load_settings
from dagster_project.settings_resource import WarehouseSettings

A_FILE = PROJECT_ROOT / "pyproject.toml"
BAD = [
    ({"OPENALEX_SOURCE": "bogus"}, "OPENALEX_SOURCE='bogus'", "demo, snapshot, api"),
    ({"OPENALEX_SOURCE": "snapshot"}, "OPENALEX_SNAPSHOT_DIR", "not set"),
    ({"OPENALEX_SOURCE": "snapshot", "OPENALEX_SNAPSHOT_DIR": "/no/such/folder"}, "OPENALEX_SNAPSHOT_DIR='/no/such/folder'",
     "not a folder"),
    ({"OPENALEX_SOURCE": "api"}, "OPENALEX_API_KEY", "requires an API key"),
    ({"DEMO_WORKS": "many"}, "DEMO_WORKS='many'", "whole number"),
    ({"DEMO_WORKS": "0"}, "DEMO_WORKS='0'", "at least 1"),
    ({"RAW_QUARANTINE_MAX_SHARE": "1.5"}, "RAW_QUARANTINE_MAX_SHARE='1.5'", "between 0 and 1"),
    ({"DUCKDB_MEMORY_LIMIT": "lots"}, "DUCKDB_MEMORY_LIMIT='lots'", "768MB"),
    ({"WAREHOUSE_FULL_REFRESH": "yes"}, "WAREHOUSE_FULL_REFRESH='yes'", "expected 1"),
    ({"PUBLISH_MAX_SHRINK": "-0.1"}, "PUBLISH_MAX_SHRINK='-0.1'", "between 0 and 1"),
    ({"PUBLISH_ALLOW_SHRINK": "true"}, "PUBLISH_ALLOW_SHRINK='true'", "expected 1"),
    # nan compares false with every bound: accepted, it switched the publish guard and the quarantine limit off
    ({"PUBLISH_MAX_SHRINK": "nan"}, "PUBLISH_MAX_SHRINK='nan'", "finite number"),
    ({"RAW_QUARANTINE_MAX_SHARE": "nan"}, "RAW_QUARANTINE_MAX_SHARE='nan'", "finite number"),
    ({"RAW_QUARANTINE_MAX_SHARE": "inf"}, "RAW_QUARANTINE_MAX_SHARE='inf'", "finite number"),
    ({"DUCKDB_MEMORY_LIMIT": "1KB"}, "DUCKDB_MEMORY_LIMIT='1KB'", "at least 128MB"),
    ({"RAW_MAX_LINE_BYTES": "big"}, "RAW_MAX_LINE_BYTES='big'", "2MB"),
    ({"OPENALEX_API_URL": "notaurl"}, "OPENALEX_API_URL='notaurl'", "http(s) address"),
    ({"OPENALEX_API_URL": "https://user:secret@api.openalex.org"}, "OPENALEX_API_URL=", "without user, password"),
    ({"OPENALEX_API_URL": "http://127.0.0.1:99999"}, "OPENALEX_API_URL=", "http(s) address"),
    ({"OPENALEX_EMAIL": "me@example.org\nX-Injected: 1"}, "OPENALEX_EMAIL=", "one e-mail address"),
    ({"OPENALEX_EMAIL": "not an address"}, "OPENALEX_EMAIL='not an address'", "one e-mail address"),
    ({"WAREHOUSE_PATH": "/"}, "WAREHOUSE_PATH='/'", "is a folder"),
    ({"WAREHOUSE_PATH": f"{A_FILE}/openalex.duckdb"}, f"'{A_FILE}', which is a file", "not a folder"),
    ({"RAW_DIR": str(A_FILE)}, f"RAW_DIR='{A_FILE}'", "expected a folder"),
    ({"WAREHOUSE_PATH": "ware\nhouse.duckdb"}, "WAREHOUSE_PATH=", "without control characters"),
    ({"OPENALEX_SOURCE": "api", "OPENALEX_API_KEY": "key with spaces"}, "OPENALEX_API_KEY", "not shown"),
]


@pytest.mark.parametrize(("env", "names", "allowed"), BAD, ids=[next(iter(b[0].items()))[1] or "x" for b in BAD])
def test_a_bad_setting_is_one_sentence_naming_it_and_what_is_allowed(env, names, allowed):
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    message = str(raised.value)
    assert names in message
    assert allowed in message
    assert "\n" not in message


def test_good_settings_load_with_their_defaults(tmp_path):
    settings = load_settings({"OPENALEX_SOURCE": "snapshot", "OPENALEX_SNAPSHOT_DIR": str(tmp_path),
                              "PUBLISH_MAX_SHRINK": "0.5", "PUBLISH_ALLOW_SHRINK": "1"})
    assert settings.source == "snapshot"
    assert settings.snapshot_dir == tmp_path
    assert settings.publish_max_shrink == 0.5
    assert settings.publish_allow_shrink
    assert load_settings({}).source == "demo"
    assert load_settings({}).demo_works == 20000
    assert load_settings({"OPENALEX_API_KEY": "k"}).source == "api"
    sized = load_settings({"RAW_MAX_LINE_BYTES": "3MiB", "OPENALEX_API_URL": " http://127.0.0.1:8765/ ",
                           "OPENALEX_EMAIL": "analyst@example.org"})
    assert sized.raw_max_line_bytes == 3 * 2**20
    assert sized.api_url == "http://127.0.0.1:8765"
    assert sized.email == "analyst@example.org"
    assert load_settings({}).raw_max_line_bytes == 2_000_000
    assert load_settings({}).api_url == "https://api.openalex.org"


def test_the_api_key_never_appears_in_a_settings_message():
    with pytest.raises(SettingsError) as raised:
        load_settings({"OPENALEX_SOURCE": "api", "OPENALEX_API_KEY": "sk-secret\nvalue"})
    assert "sk-secret" not in str(raised.value)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENALEX_", "DEMO_", "PUBLISH_", "WAREHOUSE_"))}
    return {**env, **extra}


def test_make_run_prints_one_line_and_exits_2_on_a_bad_setting(tmp_path):
    done = subprocess.run([sys.executable, "-m", "dagster_project.run"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=_clean_env(OPENALEX_SOURCE="bogus", DAGSTER_HOME=str(tmp_path)), timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == ["OPENALEX_SOURCE='bogus' is not valid: expected one of demo, snapshot, api."]


@pytest.mark.slow
def test_the_code_location_refuses_to_load_with_the_same_sentence(tmp_path):
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run([str(dagster), "definitions", "validate", "-m", "dagster_project.definitions"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300,
                          env=_clean_env(DEMO_WORKS="many", DAGSTER_HOME=str(tmp_path)))
    assert done.returncode != 0
    assert "SettingsError: DEMO_WORKS='many' is not valid: expected a whole number of works, at least 1." in done.stdout + done.stderr


def test_a_run_reads_its_settings_once_as_a_resource_and_a_bad_one_stops_it_before_its_first_step(tmp_path, monkeypatch):
    """The settings are the run's `warehouse_settings` resource: a value changed after the code location loaded is
    read when the run opens its resources, and a bad one fails the run there, with its sentence, before any step."""
    import dagster as dg

    from dagster_project.definitions import defs
    from tests.conftest import set_warehouse_env

    set_warehouse_env(monkeypatch, tmp_path, PUBLISH_MAX_SHRINK="nan")
    result = defs.resolve_job_def("report_only").execute_in_process(instance=dg.DagsterInstance.ephemeral(),
                                                                    raise_on_error=False)
    assert not result.success
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START]
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE]
    failed = " ".join(str(e.event_specific_data.error.cause or e.event_specific_data.error) for e in failures
                      if e.event_specific_data and e.event_specific_data.error)
    failed += " ".join(str(e.message) for e in result.all_events if e.event_type == dg.DagsterEventType.ENGINE_EVENT)
    assert "PUBLISH_MAX_SHRINK='nan' is not a finite number" in failed

    monkeypatch.setenv("PUBLISH_MAX_SHRINK", "0.3")
    seen = []

    @dg.asset
    def reads_the_settings(warehouse_settings: WarehouseSettings):
        seen.append(warehouse_settings.current)

    @dg.asset(deps=[reads_the_settings])
    def reads_them_again(warehouse_settings: WarehouseSettings):
        seen.append(warehouse_settings.current)

    resources = {"warehouse_settings": WarehouseSettings()}
    assert dg.materialize([reads_the_settings, reads_them_again], resources=resources).success
    assert [s.publish_max_shrink for s in seen] == [0.3, 0.3]
    assert seen[0] is seen[1], "every step of a run reads the settings the run opened"



def test_every_asset_and_check_reads_the_settings_through_the_run_s_resource():
    """No asset or check reads the environment on its own: each names `warehouse_settings` (the Dagster UI lists it
    among the asset's resources), and no module of assets or checks calls `load_settings` past it."""
    from dagster_project.definitions import defs

    # Every asset a run executes (not the release log, which the publish step writes), and every check.
    nodes = [*(a for a in defs.resolve_asset_graph().assets_defs if a.is_executable), *defs.asset_checks]
    assert len(nodes) > 10
    without = [str(node.keys or node.check_keys) for node in nodes if "warehouse_settings" not in node.required_resource_keys]
    assert without == []
    package = PROJECT_ROOT / "dagster_project"
    callers = [str(p.relative_to(package)) for folder in ("assets", "checks") for p in (package / folder).glob("*.py")
               if "load_settings(" in p.read_text(encoding="utf-8")]
    assert callers == []
