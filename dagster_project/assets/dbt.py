"""The dbt project (staging → intermediate → marts, plus the reference seeds) as Dagster assets.

dbt tests arrive as asset checks on the models they test; the reference seeds' tests (most of the project's
tests, on data that changes a few times a year) are summarised on each seed's materialisation instead. Row
counts and previews are read from the build database after `dbt build` returns (DuckDB has one writer at a
time, and dbt is it until then).
"""


import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from ..lib.duckdb_io import connect, table_metadata
from ..resources import dbt_manifest, dbt_project, dbt_resource
from ..settings import DBT_PROJECT_DIR, PROJECT_ROOT, load_settings

OWNER = "team:analytics-engineering"


def _manifest_is_stale() -> bool:
    manifest = Path(dbt_project.manifest_path)
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / d for d in ("models", "macros", "tests")] + [PROJECT_ROOT / "seeds"]
    files = [DBT_PROJECT_DIR / "dbt_project.yml"] + [p for d in sources if d.exists() for p in d.rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > built for p in files)


def _prepare_manifest() -> None:
    """Parse when the manifest is missing or stale, or was parsed for another database path.

    dbt hashes the rendered profile into its partial-parse state, so every run's invocations can reuse the
    parse (instead of re-parsing the whole project each time) only if it was made for the same path.
    """
    build_path = str(load_settings().build_path)
    os.environ["DBT_DUCKDB_PATH"] = build_path
    marker = Path(dbt_project.manifest_path).parent / ".parsed_for"
    if _manifest_is_stale() or not marker.exists() or marker.read_text() != build_path:
        # A dbt process: the code location that loads these definitions keeps no dbt state of its own.
        dbt_resource(in_process=False).cli(["parse", "--quiet"], target_path=Path(dbt_project.manifest_path).parent).wait()
        marker.write_text(build_path)


_prepare_manifest()


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Groups by layer (raw sources come from the `raw` group; seeds are `reference`)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 and fqn[1] in ("staging", "intermediate", "marts") else "marts"

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # Models and seeds are keyed by their DuckDB schema (staging/…, marts/…); sources keep the default
        # [source, table], i.e. openalex/works, the raw assets' keys.
        if dbt_resource_props["resource_type"] in ("model", "seed"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return [OWNER]

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        # A check per seed test would add ~430 Dagster events (planned, output, evaluation) to every fresh build.
        if _tests_seeds_only(manifest, unique_id):
            return None
        return super().get_asset_check_spec(asset_spec, manifest, unique_id, project)


def _tests_seeds_only(manifest: Mapping[str, Any], unique_id: str) -> bool:
    node = manifest["nodes"].get(unique_id) or {}
    parents = node.get("depends_on", {}).get("nodes", [])
    return node.get("resource_type") == "test" and bool(parents) and all(p.startswith("seed.") for p in parents)


class _SeedTestNoticeFilter(logging.Filter):
    """dagster-dbt warns about every test result it reports as an observation rather than a check. Seed tests
    are reported so by design (get_asset_check_spec): ~140 such warnings, each a stored event of the run."""

    NOTICE = re.compile(r"^Logging an `AssetObservation` instead of an `AssetCheckResult` for dbt test `([^`]+)`")

    def __init__(self, seed_test_names: set[str]):
        super().__init__()
        self.seed_test_names = seed_test_names

    def filter(self, record: logging.LogRecord) -> bool:
        notice = self.NOTICE.match(str(record.msg))
        return not (notice and notice.group(1) in self.seed_test_names)


@contextmanager
def _seed_test_notices_dropped(manifest: Mapping[str, Any]) -> Iterator[None]:
    names = {node["name"] for uid, node in manifest["nodes"].items() if _tests_seeds_only(manifest, uid)}
    dbt_events_logger = logging.getLogger("dagster.builtin")  # dagster-dbt's get_dagster_logger()
    notice_filter = _SeedTestNoticeFilter(names)
    dbt_events_logger.addFilter(notice_filter)
    try:
        yield
    finally:
        dbt_events_logger.removeFilter(notice_filter)


def _seed_nodes(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "seed"}


def _run_results(target_path: Path) -> list[dict[str, Any]]:
    results_file = target_path / "run_results.json"
    return json.loads(results_file.read_text()).get("results", []) if results_file.exists() else []


def _seed_test_summary(manifest: Mapping[str, Any], results: list[dict[str, Any]]) -> dict[dg.AssetKey, dict[str, Any]]:
    """Per seed asset: how many of the dbt tests on it passed, and the names of those that did not."""
    summary: dict[dg.AssetKey, dict[str, Any]] = {}
    for result in results:
        unique_id = result.get("unique_id", "")
        if not _tests_seeds_only(manifest, unique_id):
            continue
        for parent in manifest["nodes"][unique_id]["depends_on"]["nodes"]:
            entry = summary.setdefault(translator.get_asset_key(manifest["nodes"][parent]), {"passed": 0, "failed": []})
            if result.get("status") == "pass":
                entry["passed"] += 1
            else:
                entry["failed"].append(f"{manifest['nodes'][unique_id]['name']} ({result.get('status')})")
    return summary


# Source tests (openalex.work_counts) show as checks on the raw assets they guard.
translator = WarehouseDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
)


def _relation(context: dg.AssetExecutionContext, key: dg.AssetKey) -> str | None:
    props = context.assets_def.metadata_by_key.get(key, {})
    relation = props.get("dagster/table_name")  # database.schema.table
    if relation:
        return ".".join(str(relation).split(".")[-2:])
    return None


def _store_failing_rows(build_path: Path, results: list[dict[str, Any]]) -> dict[str, str]:
    """Keep the rows of every failed test in test_failures.<test name>; returns unique_id -> table."""
    stored = {}
    failed = [r for r in results if r.get("unique_id", "").startswith("test.") and r.get("status") in ("fail", "warn")]
    if not failed:
        return stored
    with connect(build_path) as con:
        con.execute("create schema if not exists test_failures")
        for result in failed:
            name = result["unique_id"].split(".")[-1][:120]
            sql = result.get("compiled_code")
            if not sql:
                continue
            try:
                con.execute(f'create or replace table test_failures."{name}" as {sql}')
                stored[result["unique_id"]] = f'test_failures."{name}"'
            except Exception:  # a test whose SQL cannot be re-run alone is still reported by dbt
                continue
    return stored


FINGERPRINTS = "raw.build_fingerprints"


def _fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def reference_fingerprint(manifest: Mapping[str, Any]) -> str:
    """What the reference tables depend on: each seed's file checksum, config and columns, and every test on
    seeds alone with the macros it calls. Equal fingerprints mean reloading and retesting would change nothing."""
    nodes = manifest["nodes"]
    seeds = _seed_nodes(manifest)
    tests = {uid: node for uid, node in nodes.items() if _tests_seeds_only(manifest, uid)}
    macros = sorted({m for node in tests.values() for m in node["depends_on"].get("macros", [])})
    return _fingerprint({
        "seeds": {uid: [node["checksum"], node["config"], node["columns"]] for uid, node in sorted(seeds.items())},
        "tests": {uid: [node.get("test_metadata"), node.get("raw_code"), node["config"]] for uid, node in sorted(tests.items())},
        "macros": {m: manifest["macros"][m]["macro_sql"] for m in macros if m in manifest["macros"]},
    })


def incremental_fingerprint(manifest: Mapping[str, Any]) -> str:
    """What the incremental models' stored rows depend on besides the OpenAlex data: their SQL, config and
    columns, the project's macros (their hooks call some by name), the reference seeds and dbt_project.yml (the
    study's vars). A change means rebuilding them whole."""
    project = manifest["metadata"]["project_name"]
    return _fingerprint({
        "models": {uid: [node["checksum"], node["config"], node["columns"]] for uid, node in sorted(manifest["nodes"].items())
                   if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"},
        "macros": {uid: macro["macro_sql"] for uid, macro in sorted(manifest["macros"].items()) if macro["package_name"] == project},
        "seeds": {uid: node["checksum"] for uid, node in sorted(_seed_nodes(manifest).items())},
        "dbt_project": (DBT_PROJECT_DIR / "dbt_project.yml").read_text(),
    })


def _recorded_state(build_path: Path) -> tuple[dict[str, str], set[str]]:
    """From one read of the build database: the last fingerprint recorded of each kind, and the reference tables."""
    if not build_path.exists():
        return {}, set()
    with connect(build_path, read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_schema in ('raw', 'reference')").fetchall()}
        fingerprints = {} if FINGERPRINTS not in tables else dict(con.execute(
            f"select kind, arg_max(fingerprint, recorded_at) from {FINGERPRINTS} group by kind").fetchall())
    return fingerprints, {t for t in tables if t.startswith("reference.")}


def _record_fingerprint(build_path: Path, kind: str, fingerprint: str) -> None:
    with connect(build_path) as con:
        con.execute(f"create table if not exists {FINGERPRINTS} (kind varchar, fingerprint varchar, recorded_at timestamp)")
        con.execute(f"insert into {FINGERPRINTS} values (?, ?, current_timestamp)", [kind, fingerprint])


def _prune_invocation_dirs(keep: int = 20) -> None:
    """dagster-dbt gives every dbt invocation its own target folder (manifest, logs, run results); keep the
    newest few, which is where a failed run's artifacts are looked for."""
    target = Path(dbt_project.manifest_path).parent
    dirs = sorted((d for d in target.glob("dbt_*-*") if d.is_dir()), key=lambda d: d.stat().st_mtime, reverse=True)
    for old in dirs[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, with_reference: bool = False):
    settings = load_settings()
    _prune_invocation_dirs()
    # The dbt profile reads the build database's path from here.
    os.environ["DBT_DUCKDB_PATH"] = str(settings.build_path)
    # dbt.log at debug level is ~6 MB a step; Dagster keeps the debug events (stdout) anyway.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    args = ["build"]
    manifest = dbt_manifest()
    full_refresh = os.environ.get("WAREHOUSE_FULL_REFRESH", "") == "1"
    to_record: dict[str, str] = {}  # fingerprints to record once the build has passed
    if with_reference:
        # The incremental models (base_openalex__works and the per-work models built from it) keep rows between
        # builds: if their SQL, macros, the seeds or the vars changed since, they are rebuilt whole (as are the
        # seeds, by the same flag).
        fingerprints, reference_tables = _recorded_state(settings.build_path)
        incremental = incremental_fingerprint(manifest)
        if fingerprints.get("incremental_models") != incremental:
            if not full_refresh:
                context.log.info(f"Incremental models new or changed since their last build ({incremental[:12]}): full refresh")
            full_refresh = True
            to_record["incremental_models"] = incremental
        # Seeds and their tests (150 of this step's nodes) run only when the reference data or its tests changed.
        # Reloaded unless they were loaded, and passed their tests, from this fingerprint.
        reference = reference_fingerprint(manifest)
        seed_tables = {f"reference.{node['alias']}" for node in _seed_nodes(manifest).values()}
        if not full_refresh and fingerprints.get("reference") == reference and seed_tables <= reference_tables:
            context.log.info(f"Reference seeds unchanged since their last load and tests ({reference[:12]}): not reloaded")
            args += ["--exclude", "resource_type:seed"]
        else:
            to_record["reference"] = reference
    if full_refresh:
        # Incremental models rebuilt from scratch, and the seeds reloaded.
        args.append("--full-refresh")
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    with _seed_test_notices_dropped(manifest):
        events = list(invocation.stream())
    if invocation.is_successful():
        for kind, fingerprint in to_record.items():
            _record_fingerprint(settings.build_path, kind, fingerprint)
    results = _run_results(Path(invocation.target_path))
    failures = _store_failing_rows(settings.build_path, results)
    seed_tests = _seed_test_summary(manifest, results)
    with connect(settings.build_path, read_only=True) as con:
        for event in events:
            if isinstance(event, dg.AssetObservation) and event.asset_key in seed_tests:
                continue  # a seed test's result: summarised on the seed's materialisation
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                unique_id = (event.metadata or {}).get("unique_id")
                table = failures.get(getattr(unique_id, "value", unique_id))
                if table:
                    event = event.with_metadata({**event.metadata, **table_metadata(con, table), "failing_rows_table": table})
            if isinstance(event, dg.Output | dg.AssetMaterialization | dg.MaterializeResult):
                key = event.asset_key if not isinstance(event, dg.Output) else context.asset_key_for_output(event.output_name)
                if key in seed_tests:
                    tests = seed_tests[key]
                    event = event.with_metadata({
                        **(event.metadata or {}), "dbt_tests_passed": tests["passed"],
                        "dbt_tests_failed": ", ".join(tests["failed"]) or "none",
                    })
                relation = _relation(context, key)
                if relation:
                    try:
                        event = event.with_metadata({**(event.metadata or {}), **table_metadata(con, relation)})
                    except Exception as exc:  # a relation dbt did not build (skipped)
                        context.log.debug(f"no row count for {relation}: {exc}")
            yield event
    if not invocation.is_successful():
        raise dg.Failure(
            "dbt build failed: see the failed models and checks of this run; nothing downstream runs",
            metadata={"dbt_target": str(invocation.target_path)},
        )


def _stop_if_a_gate_failed(context: dg.AssetExecutionContext) -> None:
    """Dagster skips only the direct children of an asset whose blocking check failed, and the marts sit
    further down (staging → intermediate → marts): so the marts step asks the staging gates itself. The
    validation runs once per run whichever asks first (the asset check or this step)."""
    from ..checks.staging_checks import failed_staging_gates

    failed = failed_staging_gates(context.run.run_id)
    if failed:
        raise dg.Failure(f"Not building the marts: staging contracts failed in this run: {'; '.join(failed)}")


# Two steps, so the gates on staging (dbt tests and the Great Expectations checks in checks/staging_checks.py)
# stop the marts from being built in a run where staging is bad.
STAGING_SELECT = "resource_type:seed path:models/staging path:models/intermediate"
MARTS_SELECT = "path:models/marts"


@dbt_assets(
    manifest=dbt_project.manifest_path, dagster_dbt_translator=translator, project=dbt_project,
    select=STAGING_SELECT, name="dbt_staging_models",
)
def dbt_staging_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from _build(context, dbt, with_reference=True)


@dbt_assets(
    manifest=dbt_project.manifest_path, dagster_dbt_translator=translator, project=dbt_project,
    select=MARTS_SELECT, name="dbt_mart_models",
)
def dbt_mart_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    _stop_if_a_gate_failed(context)
    yield from _build(context, dbt)


dbt_model_assets = [dbt_staging_models, dbt_mart_models]
