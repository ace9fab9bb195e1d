"""The dbt project and the dbt CLI that builds it, through dagster-dbt's `DbtProject` and `DbtCliResource`.

dbt runs as a dbt process (`DbtCliResource.cli(...).stream()`). The build database's path reaches dbt's profile
as a dbt var on the command line (`--vars`, see `dbt_vars`): nothing here changes the process's environment or
working directory.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from .lib.owned_paths import owned_dir
from .lib.run_lock import exclusive_file_lock
from .settings import DBT_PROJECT_DIR, PROJECT_ROOT, load_settings

# dbt/profiles.yml reads the DuckDB file's path from this dbt var (falling back on DBT_DUCKDB_PATH, then the default).
BUILD_PATH_VAR = "warehouse_build_path"


def dbt_vars(build_path: Path) -> list[str]:
    """The `--vars` argument every dbt command of a run passes: the same vars as the parse that made the manifest,
    so dbt reuses that parse (dbt re-parses the whole project when its command-line vars change)."""
    return ["--vars", json.dumps({BUILD_PATH_VAR: str(build_path)})]


dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=load_settings().dbt_target_path,
    prepare_project_cli_args=["parse", "--quiet", *dbt_vars(load_settings().build_path)],
)
PREPARED_WITH = Path(dbt_project.manifest_path).with_name(".prepared_with.json")


def manifest_is_stale(manifest: Path | None = None) -> bool:
    """Whether a manifest (default: the definitions' one) is missing or older than a file of the dbt project."""
    manifest = Path(manifest or dbt_project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / d for d in ("models", "macros", "tests")] + [PROJECT_ROOT / "seeds"]
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    files += [p for d in sources if d.exists() for p in d.rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in files)


def prepare_dbt_project() -> None:
    """Make `manifest.json`, which `@dbt_assets` reads when the definitions load: under `dg dev` on every load
    (dagster-dbt's `prepare_if_dev`), elsewhere (a fresh clone, `make run`, the tests) when it is missing, older than
    a file of the project or parsed for another build database (`dbt parse`, ~10 s).

    Outside `dg dev`, dagster-dbt's documented way is `dagster-dbt project prepare-and-package` before the code
    loads. It is not used, for three guarantees it cannot keep: it parses on every call (each `make run`, `make docs`,
    `make report` and test process would pay a parse the freshness check here skips); it runs the `dbt` found on PATH
    (`make run` does not put the venv on PATH, so it would find none, or another install's); and its lock gives up
    after 60 s on a busy machine. The parse's target folder and vars (one parse per build database) are the
    `DbtProject`'s own settings above."""
    target = Path(dbt_project.manifest_path).parent
    settings = load_settings()
    if target.parent == settings.build_path.parent:  # the default: the parse lives in the warehouse's build folder
        owned_dir(target.parent)
    # Two processes loading the definitions at once (`make run` beside `make dev`) would parse into one target
    # together and leave a torn manifest: one parses, the other waits and then finds the parse fresh.
    with exclusive_file_lock(target.parent / f".{target.name}.parse.lock"):
        if dbt_project.preparer.using_dagster_dev():
            dbt_project.prepare_if_dev()
            return
        args = ["parse", "--quiet", *dbt_vars(settings.build_path)]
        wanted = json.dumps(args)
        if manifest_is_stale() or not PREPARED_WITH.exists() or PREPARED_WITH.read_text() != wanted:
            # What dagster-dbt's preparer runs, with the venv's dbt (the preparer looks for one on PATH).
            dbt_resource().cli(args, target_path=target).wait()
            if not Path(dbt_project.manifest_path).exists():
                raise RuntimeError(f"`dbt parse` in {DBT_PROJECT_DIR} made no manifest: run `dbt parse` there to see why.")
            PREPARED_WITH.write_text(wanted)


@lru_cache(maxsize=1)
def dbt_manifest() -> dict:
    """The parsed project's manifest.json, read once per process (prepared first if needed)."""
    prepare_dbt_project()
    return json.loads(Path(dbt_project.manifest_path).read_text())


def dbt_resource() -> DbtCliResource:
    # The venv's own dbt, so nothing depends on PATH, behind warehouse-dbt (dbt_executable.py), which answers
    # dagster-dbt's `--version` without starting dbt. dbt.log at debug level is ~6 MB a build; Dagster keeps
    # dbt's events anyway.
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(Path(sys.executable).parent / "warehouse-dbt"),
        global_config_flags=["--log-level-file", "info"],
    )
