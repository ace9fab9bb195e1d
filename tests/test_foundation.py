"""The skeleton: settings, the Dagster definitions and their asset graph, and one full run on demo data."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from dagster_project.settings import PROJECT_ROOT, load_settings
from tests.conftest import set_warehouse_env


def test_source_selection_follows_the_documented_order(monkeypatch, tmp_path):
    set_warehouse_env(monkeypatch, tmp_path)
    assert load_settings().source == "demo"
    monkeypatch.setenv("OPENALEX_API_KEY", "secret-key-123")
    assert load_settings().source == "api"
    assert "secret-key-123" not in repr(load_settings())
    monkeypatch.setenv("OPENALEX_SOURCE", "snapshot")
    monkeypatch.setenv("OPENALEX_SNAPSHOT_DIR", str(tmp_path))
    assert load_settings().source == "snapshot"
    monkeypatch.setenv("OPENALEX_SOURCE", "ftp")
    with pytest.raises(ValueError, match="OPENALEX_SOURCE"):
        load_settings()


def test_relative_paths_resolve_against_the_project_root(monkeypatch, tmp_path):
    set_warehouse_env(monkeypatch, tmp_path)
    monkeypatch.setenv("RAW_DIR", "some/raw")
    monkeypatch.setenv("WAREHOUSE_PATH", "wh/x.duckdb")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.raw_dir == PROJECT_ROOT / "some" / "raw"
    assert settings.warehouse_path == PROJECT_ROOT / "wh" / "x.duckdb"
    assert settings.build_path == PROJECT_ROOT / "wh" / "build" / "x.duckdb"


def test_definitions_load_and_the_graph_runs_raw_to_staging_to_marts():
    from dagster_project.definitions import defs

    defs.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"openalex/works", "staging/stg_openalex__works", "marts/headline_figures", "warehouse/published"} <= keys

    def upstream(key: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}

    assert "openalex/works" in upstream("staging/base_openalex__works")
    assert "staging/base_openalex__works" in upstream("staging/stg_openalex__works")
    assert "marts/headline_figures" in upstream("warehouse/published")
    keys = ("openalex/works", "staging/stg_openalex__works", "marts/headline_figures")
    groups = {graph.get(dg.AssetKey.from_user_string(k)).group_name for k in keys}
    assert groups == {"raw", "staging", "marts"}

    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("openalex/works", "contract") in checks  # Great Expectations
    assert ("openalex/works", "reconciliation") in checks  # Dagster asset check
    assert ("marts/headline_figures", "yearly_figures_sum_to_span") in checks
    assert any(k == "staging/stg_openalex__works" and n.startswith("primary_key_") for k, n in checks)  # dbt test


def test_full_refresh_builds_and_publishes_the_warehouse(demo_run):
    result, settings = demo_run["result"], demo_run["settings"]
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    kinds = {c.check_name for c in checks}
    assert {"contract", "reconciliation", "yearly_figures_sum_to_span"} <= kinds
    assert settings.warehouse_path.exists() and str(settings.warehouse_path).startswith(str(demo_run["root"]))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
        assert {"staging", "intermediate", "marts", "reference"} <= schemas and "raw" not in schemas
        rows = con.execute(
            "select period, value, dataset_label from marts.headline_figures where metric = 'eu_cn_works' order by period"
        ).fetchall()
    periods = [r[0] for r in rows]
    assert periods == ["2017", "2017-2022", "2018", "2019", "2020", "2021", "2022"]
    assert all(r[1] > 0 for r in rows)
    assert all("SYNTHETIC" in r[2] for r in rows)


def test_materialisations_carry_row_counts_and_previews(demo_run):
    mats = demo_run["result"].get_asset_materialization_events()
    by_key = {e.asset_key.to_user_string(): e.materialization.metadata for e in mats}
    for key in ("openalex/works", "staging/stg_openalex__works", "marts/headline_figures"):
        assert by_key[key]["dagster/row_count"].value > 0, key
        assert "preview" in by_key[key]
    assert by_key["openalex/works"]["quarantined"].value == 0


def test_ci_runs_exactly_the_readme_test_command():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
