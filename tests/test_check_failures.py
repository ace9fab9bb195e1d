"""The asset checks no other test sees fail, each shown failing on a copy of the session's demo run with one defect
planted: a report tile that prints another figure, a served file that lost rows, a raw file whose counts do not
reconcile. (The other checks fail in their own tests: the contracts and quarantine in test_gates.py and
test_raw_bad_files.py, the dbt tests and the seed checks in test_gates.py, the publish guard in
test_publish_guard.py.)"""

from __future__ import annotations

import re

import duckdb
import pytest

from dagster_project.settings import load_settings
from dagster_project.settings_resource import WarehouseSettings
from tests.conftest import copy_demo_run, set_warehouse_env


@pytest.fixture
def warehouse_copy(demo_run, tmp_path, monkeypatch):
    """A copy of the session's demo warehouse, build file and landing zone, with every setting pointed at it."""
    assert demo_run["result"].success, "the demo run failed"
    published = copy_demo_run(demo_run, tmp_path)
    set_warehouse_env(monkeypatch, tmp_path)
    return published


def test_the_tiles_check_passes_on_the_run_s_page_and_fails_on_a_tile_printing_another_figure(warehouse_copy):
    from dagster_project.assets.report import tiles_show_the_published_figures

    assert tiles_show_the_published_figures(warehouse_settings=WarehouseSettings()).passed
    page = warehouse_copy.parent / "report" / "index.html"
    text = page.read_text(encoding="utf-8")
    tile = re.compile(r'(<div class="tile" data-metric="eu_cn_works" data-scope="EUROPE" data-period="[\w-]+">\s*'
                      r'<div class="v">)([\d,]+)(</div>)')
    shown = tile.search(text).group(2)
    page.write_text(tile.sub(lambda m: f"{m.group(1)}{int(shown.replace(',', '')) + 1:,}{m.group(3)}", text, count=1),
                    encoding="utf-8")
    result = tiles_show_the_published_figures(warehouse_settings=WarehouseSettings())
    assert not result.passed
    assert result.metadata["mismatched"].value.startswith("eu_cn_works EUROPE ")
    assert f"warehouse {shown}" in result.metadata["mismatched"].value

    page.write_text(text.replace('<div class="tile" ', '<div class="figure" '), encoding="utf-8")
    result = tiles_show_the_published_figures(warehouse_settings=WarehouseSettings())
    assert not result.passed, "a page without tiles shows no published figure"
    assert result.metadata["tiles"].value == 0


def test_the_serving_copy_check_fails_when_a_served_file_lost_rows(warehouse_copy):
    from dagster_project.assets.serving import serving_copy_matches_build

    assert serving_copy_matches_build(warehouse_settings=WarehouseSettings()).passed
    parquet = warehouse_copy.parent / "parquet" / "agg_risk_year.parquet"
    with duckdb.connect() as con:
        rows = con.execute("select count(*) from read_parquet(?)", [str(parquet)]).fetchone()[0]
        con.execute(f"copy (select * from read_parquet('{parquet}') limit 1) to '{parquet}.tmp' (format parquet)")
    parquet.with_name(parquet.name + ".tmp").replace(parquet)
    result = serving_copy_matches_build(warehouse_settings=WarehouseSettings())
    assert not result.passed
    assert result.metadata["mismatched"].value == {"agg_risk_year": {"build": rows, "published": rows, "parquet": 1}}

    with duckdb.connect(str(warehouse_copy)) as con:  # the published file itself, one mart short of a row
        con.execute("delete from marts.headline_figures where metric = 'eu_cn_works' and period like '%-%'")
    mismatched = serving_copy_matches_build(warehouse_settings=WarehouseSettings()).metadata["mismatched"].value
    assert set(mismatched) == {"agg_risk_year", "headline_figures"}
    assert mismatched["headline_figures"]["published"] == mismatched["headline_figures"]["build"] - 1


def test_the_reconciliation_check_fails_naming_a_raw_file_whose_records_do_not_add_up(warehouse_copy):
    from dagster_project.checks.raw_checks import raw_checks

    [reconciliation] = [c for c in raw_checks if any(k.name == "reconciliation" and k.asset_key.path[-1] == "works"
                                                     for k in c.check_keys)]
    assert reconciliation(warehouse_settings=WarehouseSettings()).passed
    with duckdb.connect(str(load_settings().build_path)) as con:
        file, records, loaded, outside = con.execute(
            "select file, records, loaded, outside_universe from raw.load_log where entity = 'works' order by file "
            "limit 1").fetchone()
        con.execute("update raw.load_log set records = records + 1 where entity = 'works' and file = ?", [file])
    result = reconciliation(warehouse_settings=WarehouseSettings())
    assert not result.passed
    [row] = result.metadata["files_not_reconciling"].value.splitlines()[2:]
    assert row.endswith(f"| {records + 1} | {loaded} | {outside} | 0 |")
