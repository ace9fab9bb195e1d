"""Settings are validated once, before Dagster starts: a bad value is one line naming the variable, the value and
what is allowed, and a non-zero exit; the code location refuses to load with the same sentence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.settings import PROJECT_ROOT, SettingsError, load_settings

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
]


@pytest.mark.parametrize(("env", "names", "allowed"), BAD, ids=[next(iter(b[0].items()))[1] or "x" for b in BAD])
def test_a_bad_setting_is_one_sentence_naming_it_and_what_is_allowed(env, names, allowed):
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    message = str(raised.value)
    assert names in message and allowed in message
    assert "\n" not in message


def test_good_settings_load_with_their_defaults(tmp_path):
    settings = load_settings({"OPENALEX_SOURCE": "snapshot", "OPENALEX_SNAPSHOT_DIR": str(tmp_path),
                              "PUBLISH_MAX_SHRINK": "0.5", "PUBLISH_ALLOW_SHRINK": "1"})
    assert settings.source == "snapshot" and settings.snapshot_dir == tmp_path
    assert settings.publish_max_shrink == 0.5 and settings.publish_allow_shrink
    assert load_settings({}).source == "demo" and load_settings({}).demo_works == 20000
    assert load_settings({"OPENALEX_API_KEY": "k"}).source == "api"


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
