"""The study report: produced by the run, self-contained, with its charts, definitions, MERICS figures and banner."""

from __future__ import annotations

import html
import re

import duckdb
import pytest

from dagster_project.assets.report import (
    Bar, Series, Warehouse, _scale, bar_chart, build_report, column_chart, read_warehouse, render_html, report_path,
)


@pytest.fixture(scope="module")
def report(demo_run) -> str:
    assert demo_run["result"].success
    path = report_path(demo_run["settings"].warehouse_path)
    assert path.is_file(), "the run should write report/index.html beside the published warehouse"
    return html.unescape(path.read_text(encoding="utf-8"))


def test_the_run_writes_a_self_contained_report_with_a_chart_per_section(report, demo_run):
    assert report.startswith("<!doctype html>")
    # Nothing is fetched when it opens (no network here, nor on an analyst's air-gapped laptop): no scripts,
    # stylesheets, images or fonts from elsewhere. Links to the MERICS sources are plain <a> links.
    for fetching in ("<script", "<link", "<img", "<iframe", "src=", "url(", "@import"):
        assert fetching not in report, fetching
    svgs = re.findall(r"<svg .*?</svg>", report, flags=re.S)
    sections = re.findall(r'<section class="card" id="(\w+)">', report)
    assert {"shares", "uk", "countries", "risk", "links", "funding"} <= set(sections)
    with duckdb.connect(str(demo_run["settings"].warehouse_path), read_only=True) as con:
        wh = read_warehouse(con)
    # Each section the warehouse has data for carries a chart (every one, once the marts are all in).
    assert len(svgs) >= 3
    assert "Europe's and China's AI output co-authored" in report and len(re.findall("<rect ", report)) > 20
    for name in ("europe_share_with_cn", "country_share_with_cn", "country_share_of_eu_cn_works"):
        assert name in report  # the definitions are named
    if wh.merics:
        assert "MERICS (2023)" in report and "<th>MERICS</th>" in report


def test_synthetic_data_gets_a_banner(report):
    assert 'class="banner"' in report and "SYNTHETIC DATA" in report


def test_no_banner_for_real_data_and_missing_sections_say_so():
    wh = Warehouse(relations=set(), columns={}, label="OpenAlex snapshot at /data", synthetic=False, span="2017-2022")
    page = render_html(wh, [], "now", "/x.duckdb")
    assert 'class="banner"' not in page


def test_the_report_renders_from_a_warehouse_with_only_the_first_marts(tmp_path):
    """An older warehouse (headline_figures and fct_eu_cn_works only) still renders; missing sections say so."""
    db = tmp_path / "openalex.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts; create schema staging")
        con.execute("create table staging.stg_openalex__dataset as select 'SYNTHETIC demo' as dataset_label, true as is_synthetic")
        con.execute("""create table marts.headline_figures as
                       select * from (values ('eu_cn_works', 'EUROPE', '2017', 5.0, 'works'),
                                             ('europe_share_with_cn', 'EUROPE', '2017', 0.05, 'share'),
                                             ('eu_cn_works', 'EUROPE', '2017-2017', 5.0, 'works'))
                       as t(metric, scope, period, value, unit)""")
        con.execute("create table marts.fct_eu_cn_works as select 'W1' as work_id, 2017 as publication_year, ['GB'] as european_countries")
    out = tmp_path / "report" / "index.html"
    summary = build_report(db, out)
    page = out.read_text()
    assert "shares" in summary["charts"] and "countries" in summary["charts"]
    assert "links" in summary["missing"] and "Not available yet" in page
    assert summary["synthetic"] and "SYNTHETIC DATA" in page


def test_axes_are_round_and_charts_are_valid_svg():
    assert _scale(0.21, "share") == (0.25, 0.05)
    assert _scale(0.148, "share") == (0.15, 0.05)
    assert _scale(17, "works") == (20, 5)
    assert _scale(1, "works") == (1, 1)
    import xml.dom.minidom

    svg = column_chart("t", ["2017", "2018"], [Series("a", "#000", {"2017": 0.1, "2018": None}, {"2017": 0.05})], "share")
    xml.dom.minidom.parseString(svg)
    svg = bar_chart("t", [Bar("x & y <z>", 3.0, ref=5.0)], "works", legend=[("ref", "#000", "MERICS")])
    xml.dom.minidom.parseString(svg)
