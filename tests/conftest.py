"""Shared fixtures: every test session gets its own DAGSTER_HOME, RAW_DIR and warehouse in a temp folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

DEMO_WORKS_FOR_TESTS = 3000

# Fixtures that run a whole Dagster job: a test using one is slow (`make test-fast` leaves it out).
WHOLE_JOB_FIXTURES = {"demo_run", "snapshot_run"}


def pytest_collection_modifyitems(items):
    for item in items:
        if WHOLE_JOB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def set_warehouse_env(monkeypatch: pytest.MonkeyPatch, root: Path, **extra: str) -> None:
    """Point every setting at `root` (a temp folder) so tests never touch the developer's warehouse."""
    for name in ("OPENALEX_SOURCE", "OPENALEX_API_KEY", "OPENALEX_SNAPSHOT_DIR", "OPENALEX_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAW_DIR", str(root / "raw"))
    monkeypatch.setenv("WAREHOUSE_PATH", str(root / "warehouse" / "openalex.duckdb"))
    monkeypatch.setenv("DEMO_WORKS", str(DEMO_WORKS_FOR_TESTS))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)


def copy_demo_run(demo_run: dict, root: Path) -> Path:
    """Copy the session's published warehouse (with Parquet, report, docs), build file and raw landing zone."""
    src = demo_run["settings"].warehouse_path.parent
    shutil.copytree(src, root / "warehouse", ignore=shutil.ignore_patterns("validations", ".publish-*"))
    shutil.copytree(demo_run["settings"].raw_dir, root / "raw")
    return root / "warehouse" / "openalex.duckdb"


@pytest.fixture(scope="session")
def session_monkeypatch():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, session_monkeypatch):
    """One full_refresh run on a small demo snapshot, then the docs job, shared by the read-only tests."""
    import dagster as dg

    root = tmp_path_factory.mktemp("demo_run")
    set_warehouse_env(session_monkeypatch, root)
    from dagster_project.definitions import defs
    from dagster_project.settings import load_settings

    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("full_refresh").execute_in_process(instance=instance, raise_on_error=False)
    docs = defs.resolve_job_def("docs").execute_in_process(instance=instance, raise_on_error=False) if result.success else None
    return {"result": result, "docs_result": docs, "root": root, "settings": load_settings()}
