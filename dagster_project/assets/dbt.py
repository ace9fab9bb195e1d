"""The dbt project (reference seeds → staging → intermediate → marts) as Dagster assets, built by ONE `dbt build`.

One dbt invocation per run builds and tests every layer in dependency order, so dbt's own gating stops bad data
between layers: a failing test skips everything downstream of the model it tests, and the run publishes nothing.
dbt tests arrive as Dagster asset checks on the models they test (singular tests that ref two models name their
asset in `meta.dagster.ref`); each reference seed has one check, `dbt_tests`, summarising the dbt tests on it.
Row counts, previews and the rows of failed tests are read from the build database after `dbt build` returns
(DuckDB has one writer at a time, and dbt is it until then).
"""


import json
import logging
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from ..lib.duckdb_io import connect, table_metadata
from ..lib.release_history import restore_from_live_release
from ..resources import dbt_manifest, dbt_project, dbt_vars, manifest_is_stale, prepare_dbt_project
from ..run_guard import WarehouseSettings, WarehouseWriter
from ..settings import Settings
from .dbt_fingerprints import (
    incremental_fingerprint,
    record_fingerprints,
    recorded_state,
    reference_fingerprint,
    seed_nodes,
    tests_seeds_only,
)

OWNER = "team:analytics-engineering"
SEED_CHECK = "dbt_tests"
# A run tagged so (the full_refresh job) rebuilds the incremental models from scratch and reloads the seeds;
# WAREHOUSE_FULL_REFRESH=1 in the environment does the same for any job.
FULL_REFRESH_TAG = "warehouse/full_refresh"

prepare_dbt_project()  # @dbt_assets reads manifest.json now


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
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or not tests_seeds_only(manifest, unique_id):
            return spec
        # Every test on a seed (~140, most of the project's) maps to the seed's one check; dagster-dbt reports each
        # test's result as an observation, and the step below sums them up into one result per seed. The metadata
        # (one test's id) is what dagster-dbt selects when the check is run alone.
        return dg.AssetCheckSpec(
            name=SEED_CHECK, asset=spec.asset_key, metadata=spec.metadata,
            description="The dbt tests on this reference seed (its yml and dbt/tests/reference): all must pass; "
                        "the result names any that failed.",
        )


def _tested_seed(manifest: Mapping[str, Any], unique_id: str) -> str:
    """The seed a test on seeds belongs to: its attached node, else the one its dagster meta names, else its first."""
    node = manifest["nodes"][unique_id]
    parents = sorted(node["depends_on"]["nodes"])
    named = ((node.get("config") or {}).get("meta") or {}).get("dagster", {}).get("ref", {}).get("name")
    by_name = [p for p in parents if manifest["nodes"][p]["name"] == named]
    return node.get("attached_node") or (by_name or parents)[0]


class _SeedTestNoticeFilter(logging.Filter):
    """dagster-dbt warns about every test result it reports as an observation rather than a check: the seed tests'
    are reported so by design (~140 warnings, each a stored event of the run)."""

    NOTICE = re.compile(r"^Logging an `AssetObservation` instead of an `AssetCheckResult` for dbt test `([^`]+)`")

    def __init__(self, seed_test_names: set[str]):
        super().__init__()
        self.seed_test_names = seed_test_names

    def filter(self, record: logging.LogRecord) -> bool:
        notice = self.NOTICE.match(str(record.msg))
        return not (notice and notice.group(1) in self.seed_test_names)


@contextmanager
def _seed_test_notices_dropped(manifest: Mapping[str, Any]) -> Iterator[None]:
    names = {node["name"] for uid, node in manifest["nodes"].items() if tests_seeds_only(manifest, uid)}
    dbt_events_logger = logging.getLogger("dagster.builtin")  # dagster-dbt's get_dagster_logger()
    notice_filter = _SeedTestNoticeFilter(names)
    dbt_events_logger.addFilter(notice_filter)
    try:
        yield
    finally:
        dbt_events_logger.removeFilter(notice_filter)


# Source tests (openalex.work_counts) show as checks on the raw assets they guard.
translator = WarehouseDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
)


def _run_results(target_path: Path) -> list[dict[str, Any]]:
    results_file = target_path / "run_results.json"
    return json.loads(results_file.read_text()).get("results", []) if results_file.exists() else []


def _relation(context: dg.AssetExecutionContext, key: dg.AssetKey) -> str | None:
    relation = context.assets_def.metadata_by_key.get(key, {}).get("dagster/table_name")  # database.schema.table
    return ".".join(str(relation).split(".")[-2:]) if relation else None


def _store_failing_rows(build_path: Path, results: list[dict[str, Any]]) -> dict[str, str]:
    """Keep the rows of every failed test in test_failures.<test name>; returns unique_id -> table. dbt's own
    store_failures would write a table for every test of every build, most of a build's time."""
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


def _unique_id(event: dg.AssetCheckResult | dg.AssetObservation) -> str:
    value = (event.metadata or {}).get("unique_id")
    return str(getattr(value, "value", value) or "")


def _status(event: dg.AssetObservation) -> str:
    value = (event.metadata or {}).get("status")
    return str(getattr(value, "value", value) or "")


def _seed_check_summaries(seed_tests: dict[str, str], manifest: Mapping[str, Any], failures: dict[str, str],
                          checked: set[dg.AssetKey] | None = None) -> list[dg.AssetCheckResult]:
    """One result per seed from the statuses of the dbt tests on it (test unique_id -> dbt status); only for the
    seeds in `checked` (those with a check in this step), when given."""
    by_seed: dict[dg.AssetKey, list[tuple[str, str]]] = {}
    for unique_id, status in seed_tests.items():
        key = translator.get_asset_key(manifest["nodes"][_tested_seed(manifest, unique_id)])
        if checked is None or key in checked:
            by_seed.setdefault(key, []).append((unique_id, status))
    summaries = []
    for key, tests in sorted(by_seed.items(), key=lambda item: item[0].to_user_string()):
        failed = sorted((uid, status) for uid, status in tests if status != "pass")
        names = [f"{manifest['nodes'][uid]['name']} ({status})" for uid, status in failed]
        summaries.append(dg.AssetCheckResult(
            asset_key=key, check_name=SEED_CHECK, passed=not failed,
            severity=dg.AssetCheckSeverity.WARN if all(s == "warn" for _, s in failed) else dg.AssetCheckSeverity.ERROR,
            description=f"{len(tests) - len(failed)} of {len(tests)} dbt tests passed"
                        + (f"; failed: {', '.join(names)}" if names else ""),
            metadata={
                "dbt_tests_passed": len(tests) - len(failed), "dbt_tests_failed": ", ".join(names) or "none",
                "failing_rows_tables": ", ".join(failures[uid] for uid, _ in failed if uid in failures) or "none",
            },
        ))
    return summaries


def _prune_invocation_dirs(keep: int = 20) -> None:
    """dagster-dbt gives every dbt invocation its own target folder (manifest, logs, run results); keep the
    newest few, which is where a failed run's artifacts are looked for."""
    target = Path(dbt_project.manifest_path).parent
    dirs = sorted((d for d in target.glob("*-*-*") if d.is_dir()), key=lambda d: d.stat().st_mtime, reverse=True)
    for old in dirs[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def last_build_artifacts(build_path: Path) -> Path | None:
    """The target folder of the newest `dbt build` of this build database whose compiled manifest is still that of
    the project's files, or None: what `dbt docs generate --no-compile` can reuse instead of compiling again."""
    target = Path(dbt_project.manifest_path).parent
    wanted = json.loads(dbt_vars(build_path)[1])
    for folder in sorted(target.glob("dbt_build-*-*"), key=lambda d: d.stat().st_mtime, reverse=True):
        results, manifest = folder / "run_results.json", folder / "manifest.json"
        if not results.is_file() or manifest_is_stale(manifest):
            continue
        if json.loads(results.read_text()).get("args", {}).get("vars") == wanted:
            return folder
    return None


def _build_args(context: dg.AssetExecutionContext, settings: Settings, manifest: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The `dbt build` arguments, and the fingerprints to record if it passes.

    The incremental models (base_openalex__works and the per-work models built from it) keep rows between builds:
    when their SQL, the macros, the seeds or the vars changed since their last build they are rebuilt whole (the
    seeds reloaded by the same flag). The seeds and their tests (~150 nodes) run only when the reference data or
    its tests changed since they last loaded and passed."""
    build_path = settings.build_path
    args = ["build", *dbt_vars(build_path)]
    # dbt's unit tests check the SQL on fixed inputs, not the data: they run with the test suite
    # (tests/test_dbt_resource.py), as dbt advises, not in every run.
    excluded = ["resource_type:unit_test"]
    full_refresh = context.run.tags.get(FULL_REFRESH_TAG) == "true" or settings.full_refresh
    to_record: dict[str, str] = {}
    fingerprints, reference_tables = recorded_state(build_path)
    incremental = incremental_fingerprint(manifest)
    if fingerprints.get("incremental_models") != incremental:
        if not full_refresh:
            context.log.info(f"Incremental models new or changed since their last build ({incremental[:12]}): full refresh")
        full_refresh = True
        to_record["incremental_models"] = incremental
    reference = reference_fingerprint(manifest)
    seed_tables = {f"reference.{node['alias']}" for node in seed_nodes(manifest).values()}
    if not full_refresh and fingerprints.get("reference") == reference and seed_tables <= reference_tables:
        context.log.info(f"Reference seeds unchanged since their last load and tests ({reference[:12]}): not reloaded")
        excluded.append("resource_type:seed")
        if not context.is_subset:
            # dbt's default (eager) exclusion would also drop every test with a seed among its parents, the staging
            # tests that check a model against a seed included; cautious drops only the tests on seeds alone.
            # (A subset run selects its tests itself: dagster-dbt sets the mode.)
            args += ["--indirect-selection", "cautious"]
    else:
        to_record["reference"] = reference
    args += ["--exclude", " ".join(excluded)]
    if full_refresh:
        args.append("--full-refresh")
    return args, to_record


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=translator, project=dbt_project, name="dbt_build")
def dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse_settings: WarehouseSettings,
              warehouse_writer: WarehouseWriter):
    """Every dbt layer in one `dbt build`, then row counts, previews, failing rows and the seeds' test summaries."""
    settings = warehouse_settings.current
    _prune_invocation_dirs()
    manifest = dbt_manifest()
    args, to_record = _build_args(context, settings, manifest)
    # The snapshots must compare this build with the live release, whatever a run that did not publish left.
    context.log.info(restore_from_live_release(settings.build_path, settings.warehouse_path))
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    with _seed_test_notices_dropped(manifest):
        events = list(invocation.stream())
    if invocation.is_successful():
        record_fingerprints(settings.build_path, to_record)
    failures = _store_failing_rows(settings.build_path, _run_results(Path(invocation.target_path)))
    seed_tests: dict[str, str] = {}  # a seed test's unique_id -> its dbt status
    with connect(settings.build_path, read_only=True) as con:
        for event in events:
            if isinstance(event, dg.AssetObservation) and tests_seeds_only(manifest, _unique_id(event)):
                seed_tests[_unique_id(event)] = _status(event)  # one per parent seed: summarised below
                continue
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                table = failures.get(_unique_id(event))
                if table:
                    event = event.with_metadata({**event.metadata, **table_metadata(con, table), "failing_rows_table": table})
            if isinstance(event, dg.Output | dg.AssetMaterialization | dg.MaterializeResult):
                key = event.asset_key if not isinstance(event, dg.Output) else context.asset_key_for_output(event.output_name)
                relation = _relation(context, key)
                if relation:
                    try:
                        event = event.with_metadata({**(event.metadata or {}), **table_metadata(con, relation)})
                    except Exception as exc:  # a relation dbt did not build (skipped)
                        context.log.debug(f"no row count for {relation}: {exc}")
            yield event
    checked = {k.asset_key for k in context.selected_asset_check_keys if k.name == SEED_CHECK}
    yield from _seed_check_summaries(seed_tests, manifest, failures, checked)
    if not invocation.is_successful():
        raise dg.Failure(
            "dbt build failed: see the failed models and checks of this run; dbt skipped everything downstream of "
            "them, and nothing is published",
            metadata={"dbt_target": str(invocation.target_path)},
        )


dbt_model_assets = [dbt_build]
