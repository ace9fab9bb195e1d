"""The serving copy: published only after every gate, whole and atomically, never blocking a reader.

The expensive tests reuse the session's demo run (`demo_run`) as the "old" published warehouse and build
directory, so each runs one more job at most.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import copy_demo_run, fake_build_file, set_warehouse_env, sha256_of

PUBLISHED = dg.AssetKey(["warehouse", "published"])



# --- the graph: what publishing waits for --------------------------------------------------------------------

def test_publish_depends_on_every_mart_of_the_dbt_project():
    from dagster_project.assets.serving import MART_KEYS
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    dbt_marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert {"headline_figures", "fct_eu_cn_works"} <= {k.path[-1] for k in dbt_marts}
    assert set(MART_KEYS) == dbt_marts
    assert dbt_marts <= set(graph.get(PUBLISHED).parent_keys)


def test_every_blocking_check_runs_before_the_publish_step():
    from dagster._core.execution.api import create_execution_plan

    from dagster_project.definitions import defs

    for job_name in ("update_warehouse", "full_refresh", "marts_only"):
        job = defs.resolve_job_def(job_name)
        plan = create_execution_plan(job)
        upstream = {s.key: {h.step_key for i in s.step_inputs for h in i.get_step_output_handle_dependencies()}
                    for s in plan.get_all_steps_in_topo_order()}
        publish = next(k for k in upstream if k.startswith("warehouse__published"))
        before, todo = set(), [publish]
        while todo:
            for parent in upstream[todo.pop()]:
                if parent not in before:
                    before.add(parent)
                    todo.append(parent)
        graph = defs.resolve_asset_graph()
        blocking = {f"{'__'.join(k.asset_key.path)}_{k.name}" for k in graph.asset_check_keys if graph.get_check_spec(k).blocking}
        in_plan = blocking & set(upstream)
        # The raw layer's Great Expectations gates (not in marts_only, which starts from the loaded raw layer) …
        assert in_plan or job_name == "marts_only", f"{job_name}: no blocking check in the plan"
        assert in_plan <= before, f"{job_name}: blocking checks not upstream of publishing: {sorted(in_plan - before)}"
        # … and the dbt tests, which fail the one dbt step, itself upstream of publishing.
        assert "dbt_build" in before, f"{job_name}: the dbt build is not upstream of publishing"


# --- what a run publishes --------------------------------------------------------------------------------------

def test_the_demo_run_publishes_a_1x_readable_warehouse_parquet_per_mart_and_docs(demo_run):
    assert demo_run["result"].success
    settings = demo_run["settings"]
    published, build = settings.warehouse_path, settings.build_path
    assert published.is_file() and build.is_file() and published != build
    assert not list(published.parent.glob(".publish-*"))
    with duckdb.connect(str(published), read_only=True) as con:
        tags = con.execute("select tags from duckdb_databases() where database_name = current_database()").fetchone()[0]
        assert tags["storage_version"].startswith("v1.")  # DuckDB 1.x clients (BI drivers) can open it
        marts = dict(con.execute(
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts'").fetchall())
        rows = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in marts}
        published_tables = set(con.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall())
        schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
    # What analysts read, and nothing of the pipeline's own: the raw layer, its state and failing test rows stay behind.
    assert schemas == {"marts", "reference", "staging", "intermediate", "history"}
    with duckdb.connect(str(build), read_only=True) as con:
        build_schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        kept = set(con.execute(
            """select schema_name || '.' || table_name from duckdb_tables()
               where schema_name in ('marts', 'reference', 'staging', 'intermediate', 'history')
                 and not starts_with(table_name, 'base_')"""
        ).fetchall())
    assert {"raw", "pipeline_state"} <= build_schemas
    assert published_tables == kept
    assert published.stat().st_size < build.stat().st_size
    parquet = published.parent / "parquet"
    assert {p.stem for p in parquet.glob("*.parquet")} == set(marts)
    for mart, n in rows.items():
        assert duckdb.sql(f"select count(*) from '{parquet / mart}.parquet'").fetchone()[0] == n
    stamp = json.loads((parquet / "_published.json").read_text())
    assert stamp["rows"] == rows and "SYNTHETIC" in stamp["dataset_label"]
    docs = published.parent / "docs"
    assert (docs / "static_index.html").stat().st_size > 100_000
    catalog = json.loads((docs / "catalog.json").read_text())
    assert any(k.endswith(".headline_figures") for k in catalog["nodes"])
    # The docs job reuses the compiled SQL of the run's `dbt build` instead of compiling every node again.
    docs_event = demo_run["docs_result"].asset_materializations_for_node("warehouse__dbt_docs")[0]
    assert Path(docs_event.metadata["compiled_sql_from"].value).name.startswith("dbt_build-")
    nodes = json.loads((docs / "manifest.json").read_text())["nodes"]
    assert "from" in nodes["model.eu_cn_ai.headline_figures"]["compiled_code"]
    publish_event = demo_run["result"].asset_materializations_for_node("warehouse__published")[0]
    assert publish_event.metadata["duckdb_storage_version"].value.startswith("v1.")


# --- the publish step alone: one rename makes the DuckDB file and its Parquet files live together ---------------


def _served(target: Path) -> dict:
    """What a reader finds at the published paths: the DuckDB file's label, the Parquet files' labels and stamp."""
    with duckdb.connect(str(target), read_only=True) as con:
        label = con.execute("select dataset_label from marts.headline_figures").fetchone()[0]
    parquet = target.parent / "parquet"
    labels = {duckdb.sql(f"select dataset_label from '{f}'").fetchone()[0] for f in parquet.glob("*.parquet")}
    stamp = json.loads((parquet / "_published.json").read_text())
    return {"duckdb": label, "parquet": labels, "stamp": stamp["dataset_label"], "release": stamp["release"]}


def test_the_duckdb_file_and_the_parquet_files_go_live_together_and_a_failed_publish_leaves_the_last_release(tmp_path):
    from dagster_project.assets.serving import activate_release, stage_release

    target = tmp_path / "warehouse" / "openalex.duckdb"
    first, _ = stage_release(fake_build_file(tmp_path / "a" / "openalex.duckdb", "A"), target)
    activate_release(first, target)
    assert _served(target) == {"duckdb": "A", "parquet": {"A"}, "stamp": "A", "release": first.name}
    # Both published paths lead through the one `current` link into the same release.
    assert Path(os.path.realpath(target)).parent == Path(os.path.realpath(target.parent / "parquet")).parent == first

    # A build whose export fails half way (a mart name no file can carry): the DuckDB copy and some Parquet files
    # of B were written, none of it is live.
    bad = fake_build_file(tmp_path / "b" / "openalex.duckdb", "B", extra_marts=("zz/not_a_file_name",))
    with pytest.raises(duckdb.Error):
        stage_release(bad, target)
    staged = list((target.parent / "releases").glob(".staging-*"))
    assert staged and list(staged[0].glob("parquet/*.parquet")) and (staged[0] / target.name).is_file()
    assert _served(target) == {"duckdb": "A", "parquet": {"A"}, "stamp": "A", "release": first.name}

    # The next publish clears the half-written release and goes live whole.
    second, _ = stage_release(fake_build_file(tmp_path / "c" / "openalex.duckdb", "C"), target)
    assert _served(target)["release"] == first.name  # staged, not live yet
    activate_release(second, target)
    assert _served(target) == {"duckdb": "C", "parquet": {"C"}, "stamp": "C", "release": second.name}
    assert not list((target.parent / "releases").glob(".staging-*"))


# --- readers during a run ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_readers_see_the_old_or_the_new_warehouse_and_are_never_blocked_during_a_run(rerun):
    """tests/warehouse_reader.py queried the published file ten times a second, each time on a fresh connection,
    through a whole update_warehouse run that published a new load."""
    assert rerun["result"].success
    seen, run_seconds = rerun["reader"], rerun["run_seconds"]
    print(f"\nreader: {seen['queries']} queries in {seen['seconds']} s during a {run_seconds:.0f} s run; "
          f"errors {len(seen['errors'])}, incomplete {len(seen['incomplete'])}, warehouses seen {len(seen['warehouses_seen'])}")
    assert seen["errors"] == []
    assert seen["incomplete"] == []
    assert seen["queries"] >= 2 * run_seconds  # it kept querying through the run (10 a second when idle)
    assert rerun["old_load"] in seen["warehouses_seen"]
    assert len(seen["warehouses_seen"]) == 2, "the reader should see the old warehouse, then the new one"


# --- a failed run ------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_failed_blocking_check_leaves_the_published_warehouse_byte_identical(marts_only_run):
    """A blocking mart check fails after the marts were rebuilt: the build file holds new marts, the published
    file, its Parquet files, the report and the docs stay exactly as they were."""
    from dagster_project.assets.serving import MART_KEYS

    result, published = marts_only_run["result"], marts_only_run["published"]
    assert not result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert [c.check_name for c in failed] == ["planted_failure"]
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert MART_KEYS[0].to_user_string() in done  # the marts were rebuilt in the build file …
    assert not any(key.startswith("openalex/") for key in done)  # … from the raw layer already loaded …
    assert not done & {"warehouse/published", "warehouse/dbt_docs", "reports/study_report"}  # … and nothing was served
    assert sha256_of(marts_only_run["settings"].build_path) != marts_only_run["build_before"]
    served = marts_only_run["served_before"]
    assert {p: (sha256_of(p), p.stat().st_mtime_ns) for p in served} == served
    assert not list(published.parent.glob(".publish-*"))


@pytest.mark.slow
def test_the_report_only_job_redraws_the_report_from_the_published_warehouse_alone(demo_run, tmp_path, monkeypatch):
    published = copy_demo_run(demo_run, tmp_path)
    set_warehouse_env(monkeypatch, tmp_path)
    index = published.parent / "report" / "index.html"
    index.unlink()
    before = sha256_of(published)
    from dagster_project.definitions import defs

    result = defs.resolve_job_def("report_only").execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {"reports/study_report"}
    assert index.is_file() and sha256_of(published) == before
