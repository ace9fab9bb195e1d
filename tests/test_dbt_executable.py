"""`warehouse-dbt` (dagster_project/dbt_executable.py): dbt itself, with `--version` answered without starting dbt."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project import resources

BIN = Path(sys.executable).parent


def _installed(output: str) -> str:
    return re.search(r"installed:\s*(\d+\.\d+\.\d+)", output).group(1)


@pytest.mark.slow  # dbt --version starts dbt and asks PyPI (seconds, longer offline)
def test_version_is_the_one_dbt_itself_reports():
    ours = subprocess.run([BIN / "warehouse-dbt", "--version"], capture_output=True, text=True, check=True).stdout
    dbts = subprocess.run([BIN / "dbt", "--version"], capture_output=True, text=True, check=True).stdout
    assert _installed(ours) == _installed(dbts)


@pytest.mark.slow  # starts dbt twice
def test_every_other_command_is_dbts_own_with_its_exit_status(tmp_path):
    listed = subprocess.run([BIN / "warehouse-dbt", "ls", "--help"], capture_output=True, text=True)
    assert listed.returncode == 0 and "Usage: dbt ls" in listed.stdout
    # dbt's own error and exit status come through unchanged.
    missing = tmp_path / "no-profiles"
    failed = subprocess.run([BIN / "warehouse-dbt", "parse", "--profiles-dir", missing], capture_output=True, text=True, cwd=tmp_path)
    assert failed.returncode == 2 and str(missing) in failed.stderr


def test_the_pipeline_hands_dagster_dbt_this_executable():
    assert Path(resources.dbt_resource().dbt_executable) == BIN / "warehouse-dbt"
