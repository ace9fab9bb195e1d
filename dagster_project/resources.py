"""Resources: the dbt project and the dbt CLI the dbt assets build it with.

dbt runs inside the step's process. A dbt process per step would pay, each time, for importing dbt (~3.5 s,
already imported here by dagster-dbt) and loading the parsed project (~2.5 s); here the project is loaded once
per process and every `dbt build` reuses it. dagster-dbt still builds each command, its selection and its
environment, and turns dbt's events into Dagster's exactly as it does for a dbt process.
"""

import importlib.metadata
import io
import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from unittest import mock

import dagster_dbt.core.resource as dagster_dbt_resource
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from packaging import version
from pydantic import Field

from .settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)



@lru_cache(maxsize=1)
def dbt_manifest() -> dict:
    """The parsed project's manifest.json (made when the definitions load), read once per process."""
    return json.loads(Path(dbt_project.manifest_path).read_text())


PARTIAL_PARSE_FILE = "partial_parse.msgpack"
PROJECT_TARGET = Path(dbt_project.project_dir) / dbt_project.target_path  # where `dbt parse` leaves its state

# The parsed project per (database path, parse state): `dbt build` in this process reuses it.
_parsed_projects: dict[tuple[str, int], Any] = {}


class _FinishedDbt:
    """What DbtCliInvocation reads of a dbt process (its exit code and its JSON log lines), for a dbt command
    that already ran in this process."""

    def __init__(self, args: list[str], returncode: int, log_lines: list[str]):
        self.args = args
        self.returncode = returncode
        self.stdout = io.BytesIO("\n".join(log_lines).encode())

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode

    def poll(self) -> int:
        return self.returncode

    def send_signal(self, signal: int) -> None:
        pass  # nothing left to interrupt


@contextmanager
def _dbt_environment(env: Mapping[str, str], project_dir: Path) -> Iterator[None]:
    """The environment and working directory dagster-dbt would give a dbt process, for the command's length."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.update(env)
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _parsed_project(target_path: Path) -> Any:
    """The project as `dbt parse` loads it from the partial-parse state copied into target_path."""
    from dbt.cli.main import dbtRunner

    state = PROJECT_TARGET / PARTIAL_PARSE_FILE
    key = (os.environ.get("DBT_DUCKDB_PATH", ""), state.stat().st_mtime_ns if state.exists() else 0)
    if key not in _parsed_projects:
        parsed = dbtRunner().invoke(["parse", "--no-write-json"])
        if not parsed.success:
            raise RuntimeError(f"dbt parse failed in {target_path}: {parsed.exception}")
        _parsed_projects.clear()  # one project per process: an older parse is of no more use
        _parsed_projects[key] = parsed.result
    return _parsed_projects[key]


def _run_dbt(args: list[str], env: Mapping[str, str], project_dir: Path, target_path: Path) -> tuple[int, list[str]]:
    """Run one dbt command here; returns its exit code and the JSON log lines `dbt --log-format json` prints."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    log_lines: list[str] = []

    def keep(event) -> None:  # called from dbt's worker threads too; list.append is atomic
        if event.info.level != "debug":  # a dbt process prints info and above
            log_lines.append(json.dumps(msg_to_dict(event), default=str))

    # dagster-dbt re-prints every event it reads: dbt's own console log would print each twice.
    with _dbt_environment({**env, "DBT_LOG_LEVEL": "none"}, project_dir):
        try:
            manifest = _parsed_project(target_path) if args and args[0] == "build" else None
            result = dbtRunner(manifest=manifest, callbacks=[keep]).invoke(args)
        finally:
            # dbt-duckdb keeps its connection for the next command; the steps after this one open the same
            # file with other settings, which DuckDB refuses within one process while it is open.
            DuckDBConnectionManager.close_all_connections()
    if isinstance(result.exception, KeyboardInterrupt | DagsterExecutionInterruptedError):
        raise result.exception
    if result.exception is not None:
        log_lines.append(json.dumps({"info": {"level": "error", "name": "MainEncounteredError",
                                              "msg": f"{type(result.exception).__name__}: {result.exception}"},
                                     "data": {}}))
    # A dbt process exits 0 on success, 1 when a node failed and 2 when dbt itself failed.
    return (0 if result.success else 2 if result.exception is not None else 1), log_lines


class _InProcessDbtInvocation(DbtCliInvocation):
    @classmethod
    def run(cls, args, env, manifest, dagster_dbt_translator, project_dir, target_path, raise_on_error, context,
            adapter, cli_version, dbt_project=None) -> DbtCliInvocation:
        project_dir, target_path = Path(project_dir), Path(target_path)
        # As dagster-dbt does for a dbt process: start from the partial-parse state of the project's target.
        state = PROJECT_TARGET / PARTIAL_PARSE_FILE
        if state.exists() and not (target_path / PARTIAL_PARSE_FILE).exists():
            target_path.mkdir(parents=True, exist_ok=True)
            shutil.copy(state, target_path / PARTIAL_PARSE_FILE)
        returncode, log_lines = _run_dbt(list(args[1:]), env, project_dir, target_path)
        return cls(
            process=_FinishedDbt(list(args), returncode, log_lines), manifest=manifest, project=dbt_project,
            dagster_dbt_translator=dagster_dbt_translator, project_dir=project_dir, target_path=target_path,
            raise_on_error=raise_on_error, context=context, adapter=adapter, cli_version=cli_version,
        )


class WarehouseDbtCli(DbtCliResource):
    """The venv's own dbt-core, without three costs a step would otherwise pay before dbt starts: a
    `dbt --version` subprocess (its version is the installed package's), an in-process dbt adapter (used only to
    fetch row counts and columns, which this project reads from DuckDB itself) and, with `in_process`, a dbt
    process and its load of the parsed project."""

    in_process: bool = Field(default=True, description="Run dbt inside this process rather than as a dbt process.")

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None

    def cli(self, args, **kwargs) -> DbtCliInvocation:
        if not self.in_process:
            return super().cli(args, **kwargs)
        # DbtCliResource.cli builds the command, its selection and environment, then starts it through
        # DbtCliInvocation.run: the one thing done differently here.
        with mock.patch.object(dagster_dbt_resource, "DbtCliInvocation", _InProcessDbtInvocation):
            return super().cli(args, **kwargs)


def dbt_resource(in_process: bool = True) -> WarehouseDbtCli:
    # The venv's own dbt, so nothing depends on PATH.
    return WarehouseDbtCli(
        project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), in_process=in_process,
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )
