"""The publish guard: an empty or shrunken build never replaces the published warehouse.

Each case of the rule on small hand-made databases, then the guard inside whole runs: an empty snapshot and a
shrinking demo leave the published file byte-identical, and PUBLISH_ALLOW_SHRINK=1 lets the shrink through.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.checks.publish_guard import emptiness_problem, shrinks
from dagster_project.settings import load_settings
from tests.conftest import copy_demo_run, set_warehouse_env, sha256_of, up_to_publish

SPAN = "2017-2022"


def _warehouse(path: Path, works_records: int, figures: dict[tuple[str, str], float]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create schema marts")
        con.execute("create table raw.load_log (entity varchar, records bigint)")
        con.execute("insert into raw.load_log values ('works', ?), ('institutions', 50)", [works_records])
        con.execute("create table marts.headline_figures (metric varchar, scope varchar, period varchar, value double, unit varchar)")
        for (metric, scope), value in figures.items():
            con.execute("insert into marts.headline_figures values (?, ?, ?, ?, 'works'), (?, ?, '2019', ?, 'works')",
                        [metric, scope, SPAN, value, metric, scope, value / 6])
    return path


GOOD = {("europe_ai_works", "EUROPE"): 3000, ("cn_ai_works", "CN"): 2500, ("eu_cn_works", "EUROPE"): 400,
        ("eu_cn_works_with_pla", "EUROPE"): 4}


def _settings(tmp_path: Path, source: str = "snapshot", **env: str):
    return load_settings({"OPENALEX_SOURCE": source, "OPENALEX_SNAPSHOT_DIR": str(tmp_path),
                          "WAREHOUSE_PATH": str(tmp_path / "published.duckdb"), **env})


@pytest.mark.parametrize(("records", "figures", "says"), [
    (0, {}, "No OpenAlex works were loaded"),
    (5000, {**GOOD, ("europe_ai_works", "EUROPE"): 0, ("cn_ai_works", "CN"): 0}, "none is an AI work of Europe or China"),
    (5000, {**GOOD, ("eu_cn_works", "EUROPE"): 0}, "none is a Europe–China AI work"),
], ids=["no works", "no AI works", "no Europe-China works"])
def test_a_real_source_that_yields_an_empty_warehouse_is_refused(tmp_path, records, figures, says):
    build = _warehouse(tmp_path / "build.duckdb", records, figures)
    problem = emptiness_problem(_settings(tmp_path), build)
    assert problem is not None and says in problem
    assert emptiness_problem(_settings(tmp_path, source="demo"), build) is None  # the demo may be empty on purpose


def test_a_plausible_build_passes(tmp_path):
    assert emptiness_problem(_settings(tmp_path), _warehouse(tmp_path / "build.duckdb", 5000, GOOD)) is None


def test_a_headline_count_falling_past_the_limit_is_named_and_small_counts_are_not_compared(tmp_path):
    settings = _settings(tmp_path)
    _warehouse(settings.warehouse_path, 5000, GOOD)
    build = _warehouse(tmp_path / "build.duckdb", 5000, {**GOOD, ("eu_cn_works", "EUROPE"): 300,  # -25 %
                                                         ("europe_ai_works", "EUROPE"): 2700,  # -10 %: allowed
                                                         ("eu_cn_works_with_pla", "EUROPE"): 1})  # 4 → 1: too small to judge
    assert shrinks(settings, build) == [("eu_cn_works", "EUROPE", 400.0, 300.0, 0.25)]
    assert shrinks(_settings(tmp_path, PUBLISH_MAX_SHRINK="0.3"), build) == []
    assert shrinks(_settings(tmp_path.parent), build) == []  # nothing published yet: nothing to compare with



def _served(published: Path) -> dict[Path, str]:
    files = [published, *sorted((published.parent / "parquet").iterdir()), published.parent / "report" / "index.html"]
    return {p: sha256_of(p) for p in files}


def _run_job():
    from dagster_project.definitions import defs
    from dagster_project.run import JOB

    return defs.resolve_job_def(JOB).execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
                                                        asset_selection=up_to_publish(defs))


def _guard(result):
    return next(c for c in result.get_asset_check_evaluations() if c.check_name == "publish_guard")


def _published(result) -> bool:
    return "warehouse/published" in {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.mark.slow
def test_an_empty_snapshot_folder_stops_the_run_before_anything_is_dropped_or_published(demo_run, tmp_path, monkeypatch):
    published = copy_demo_run(demo_run, tmp_path)
    empty = tmp_path / "empty_snapshot"
    empty.mkdir()
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(empty))
    build = published.parent / "build" / published.name
    build_before, before = sha256_of(build), _served(published)
    result = _run_job()
    assert not result.success and not _published(result)
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failures] == ["openalex_raw"]
    assert f"OPENALEX_SNAPSHOT_DIR='{empty}' holds no works part files" in failures[0].event_specific_data.error.message
    assert not [e for e in result.all_events if e.event_type_value == "STEP_START" and e.step_key != "openalex_raw"]
    # The raw layer the demo loaded is not pruned, and nothing is served anew.
    assert sha256_of(build) == build_before
    assert _served(published) == before


@pytest.mark.slow
def test_a_shrinking_build_is_stopped_naming_the_figure_and_the_override_lets_it_through(demo_run, tmp_path, monkeypatch):
    """The guard and the publish step as the jobs run them, on a copy of the session's warehouse whose next build
    has a third of the published headline counts (as a third of the source would give)."""
    from dagster_project.assets.serving import PUBLISHED_KEY
    from dagster_project.checks.publish_guard import publish_guard
    from dagster_project.definitions import defs

    published = copy_demo_run(demo_run, tmp_path)
    set_warehouse_env(monkeypatch, tmp_path)
    with duckdb.connect(str(load_settings().build_path)) as con:
        con.execute("update marts.headline_figures set value = round(value / 3) where unit = 'works'")
        works = con.execute("select value from marts.headline_figures where metric = 'eu_cn_works' and scope = 'EUROPE' "
                            "and period like '%-%'").fetchone()[0]
    before = _served(published)
    publish_only = dg.define_asset_job("publish_only", dg.AssetSelection.checks(publish_guard) | dg.AssetSelection.assets(PUBLISHED_KEY))
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[publish_only])).resolve_job_def("publish_only")

    refused = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not refused.success and not _published(refused)
    guard = _guard(refused)
    assert "would fall from" in guard.description and "PUBLISH_ALLOW_SHRINK=1" in guard.description
    assert _served(published) == before

    monkeypatch.setenv("PUBLISH_ALLOW_SHRINK", "1")
    allowed = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert allowed.success and _published(allowed) and _guard(allowed).passed
    assert {e.asset_key.to_user_string() for e in allowed.get_asset_materialization_events()} == {"warehouse/published"}
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select value from marts.headline_figures where metric = 'eu_cn_works' and scope = 'EUROPE' "
                           "and period like '%-%'").fetchone()[0] == works


def _publish_only_job():
    """The guard and the publish step as the jobs run them, nothing upstream."""
    from dagster_project.assets.serving import PUBLISHED_KEY
    from dagster_project.checks.publish_guard import publish_guard
    from dagster_project.definitions import defs

    publish_only = dg.define_asset_job("publish_only", dg.AssetSelection.checks(publish_guard) | dg.AssetSelection.assets(PUBLISHED_KEY))
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[publish_only])).resolve_job_def("publish_only")


@pytest.mark.slow
@pytest.mark.parametrize(("empty", "says"), [
    ("delete from raw.load_log where entity = 'works'", "No OpenAlex works were loaded"),
    ("update marts.headline_figures set value = 0 where metric in ('europe_ai_works', 'cn_ai_works')",
     "none is an AI work of Europe or China"),
    ("update marts.headline_figures set value = 0 where metric = 'eu_cn_works'", "none is a Europe–China AI work"),
], ids=["no works", "no AI works", "no Europe-China works"])
def test_the_guard_stops_a_real_source_whose_build_is_empty_inside_a_run(demo_run, tmp_path, monkeypatch, empty, says):
    """Each emptiness case as the run meets it: a snapshot source (not the demo, which may be empty on purpose)
    whose build came out empty, with no published warehouse to compare with, so emptiness alone must stop it."""
    published = copy_demo_run(demo_run, tmp_path)
    published.unlink()  # nothing published yet: the shrink rule has nothing to compare with
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="snapshot",
                      OPENALEX_SNAPSHOT_DIR=str(tmp_path / "raw" / "demo" / "snapshot"))
    with duckdb.connect(str(load_settings().build_path)) as con:
        con.execute(empty)
    result = _publish_only_job().execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    assert not _published(result)
    assert says in (_guard(result).description or "")
    assert not published.exists()
