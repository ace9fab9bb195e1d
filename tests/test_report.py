"""The study report: its figures read back from the page and compared with the marts, its inputs checked
loudly, its citations and downloads, and a headless-Chromium check that no label is cut.

Needs `chromium` on PATH (Debian: `apt-get install -y chromium`) and the DejaVu fonts it brings.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from dagster_project.report import ReportInputError, build_report, report_path
from tests.conftest import keep_top_institutions

ROOT = Path(__file__).resolve().parent.parent
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def published(demo_run) -> Path:
    assert demo_run["result"].success
    return demo_run["settings"].warehouse_path


@pytest.fixture(scope="module")
def page(published) -> str:
    path = report_path(published)
    assert path.is_file(), "the run should write report/index.html beside the published warehouse"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def con(published):
    with duckdb.connect(str(published), read_only=True) as connection:
        yield connection


def number(printed: str) -> float:
    """A figure as the page prints it ("45.7%", "1,234") as a number."""
    printed = printed.strip()
    return float(printed[:-1].replace(",", "")) / 100 if printed.endswith("%") else float(printed.replace(",", ""))


def assert_printed(printed: str, value: float, unit: str, what: str) -> None:
    tolerance = 0.0005 if unit == "share" else 0  # shares print with one decimal of a percent
    assert abs(number(printed) - value) <= tolerance + 1e-12, f"{what}: page says {printed}, marts say {value}"


def charts(page: str) -> dict[str, ET.Element]:
    """Every inline chart of the page, by its id, parsed as XML."""
    out = {}
    for svg in re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL):
        root = ET.fromstring(svg)
        out[root.get("id")] = root
    return out


def group_text(svg: ET.Element, gid: str) -> str:
    """The text of a chart element (lines of a wrapped label joined by spaces)."""
    for g in svg.iter(f"{SVG_NS}g"):
        if g.get("id") == gid:
            return " ".join("".join(t.itertext()).strip() for t in g.iter(f"{SVG_NS}text"))
    raise AssertionError(f"no element {gid} in chart {svg.get('id')}")


def headline(con, metric: str, scope: str, period: str):
    return con.execute("select value, unit, merics_value from marts.headline_figures where metric = ? and scope = ? "
                       "and period = ?", [metric, scope, period]).fetchone()


def test_the_page_is_self_contained_with_a_chart_per_section(page):
    assert page.startswith("<!doctype html>")
    # Nothing is fetched when it opens (an analyst's air-gapped laptop): links to sources are plain <a> links.
    for fetching in ("<script", "<link", "<img", "<iframe", "src=", "@import"):
        assert fetching not in page, fetching
    assert not re.search(r"url\((?!#)", page), "only the charts' own clip paths are referenced"
    sections = re.findall(r'<section class="card" id="([\w-]+)">(.*?)</section>', page, flags=re.DOTALL)
    assert [s for s, _ in sections] == ["shares", "growth", "uk", "countries", "risk", "links", "funding", "sources",
                                       "downloads"]
    assert all("<svg " in body for s, body in sections if s not in ("sources", "downloads"))


def test_tiles_and_comparison_rows_print_the_marts_figures(page, con):
    rows = re.findall(r'<(?:tr|div class="tile") data-metric="(\w+)" data-scope="([\w-]+)" data-period="([\w-]+)">'
                      r'\s*(?:<td>[^<]*</td><td class="n">([^<]+)</td><td class="n">([^<]+)</td>'
                      r'|<div class="v">([^<]+)</div>)', page)
    assert len(rows) >= 15
    for metric, scope, period, ours, merics, tile in rows:
        value, unit, merics_value = headline(con, metric, scope, period)
        assert_printed(ours or tile, value, unit, f"{metric} {scope} {period}")
        if merics and merics_value is None:  # a figure MERICS did not publish, beside those it did
            assert merics == "—", f"{metric} has no MERICS figure in the marts, the page shows {merics}"
        elif merics:
            assert merics != "—", f"{metric} has a MERICS figure in the marts, the page shows none"
            assert_printed(merics, merics_value, unit, f"MERICS {metric} {scope} {period}")
    tiles = {(m, s) for m, s, _, _, _, t in rows if t}
    assert {("eu_cn_works", "EUROPE"), ("eu_cn_share_defence_linked", "EUROPE"), ("eu_cn_works_with_pla", "EUROPE"),
            ("country_share_of_eu_cn_works", "GB")} <= tiles


def test_the_charts_show_the_marts_values(page, con):
    svgs = charts(page)
    span = con.execute("select period from marts.agg_risk_year where not is_single_year").fetchone()[0]
    years = [r[0] for r in con.execute(
        "select period from marts.agg_risk_year where is_single_year order by 1").fetchall()]

    # Europe's share by year: series 0 (Europe), one bar per year, in order.
    for i, year in enumerate(years):
        value, unit, _ = headline(con, "europe_share_with_cn", "EUROPE", year)
        assert_printed(group_text(svgs["shares"], f"shares-value-{i}"), value, unit, f"Europe's share {year}")

    # Uneven partners: Europe's AI output, China's and the Europe–China works as indexes (first year = 100).
    for j, (scope, column) in enumerate((("EUROPE", "ai_works_index"), ("CN", "ai_works_index"),
                                         ("EUROPE", "partner_works_index"))):
        for i, year in enumerate(years):
            index = con.execute(f"select {column} from marts.agg_country_year where scope = ? and "
                                "publication_year::varchar = ?", [scope, year]).fetchone()[0]
            assert_printed(group_text(svgs["growth"], f"growth-value-{j * len(years) + i}"), round(index), "index",
                           f"{scope} {column} {year}")
    assert group_text(svgs["growth"], "growth-value-0") == "100"

    # The UK's share by year, from agg_country_year.
    for i, year in enumerate(years):
        share = con.execute("select share_with_partner from marts.agg_country_year where scope = 'GB' and "
                            "publication_year::varchar = ?", [year]).fetchone()[0]
        assert_printed(group_text(svgs["uk"], f"uk-value-{i}"), share, "share", f"UK share {year}")

    # Risk levels of all works over the span add up, level by level, to agg_risk_year.
    levels = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema = "
                                        "'marts' and table_name = 'agg_risk_year' and column_name like "
                                        "'eu_cn_works_risk_level_%' order by ordinal_position").fetchall()]
    counts = con.execute(f"select {', '.join(levels)} from marts.agg_risk_year where period = ?", [span]).fetchone()
    for i, n in enumerate(counts):
        assert_printed(group_text(svgs["risk-levels"], f"risk-levels-value-{i}"), n, "works", levels[i])

    # The links chart: each label is the pair's full names, each value its works.
    links = con.execute("select european_institution_name, european_country_code, chinese_institution_name, "
                        "eu_cn_works from marts.agg_institution_links order by eu_cn_works desc, "
                        "european_institution_name, chinese_institution_name limit 10").fetchall()
    assert links
    for i, (eu, country, cn, works) in enumerate(links):
        assert group_text(svgs["links"], f"links-label-{i}") == f"{eu} ({country}) × {cn}"
        assert_printed(group_text(svgs["links"], f"links-value-{i}"), works, "works", f"link {eu} × {cn}")
        assert f"<td>{eu}</td>" in html.unescape(page) and f"<td>{cn}</td>" in html.unescape(page)


def test_every_risk_level_shown_is_defined_beside_it_and_in_the_docs(page):
    docs = (ROOT / "docs" / "definitions.md").read_text(encoding="utf-8")
    levels_section = docs[docs.index("## Risk tags and risk levels"):docs.index("## Funding")]
    risk = re.search(r'<section class="card" id="risk">(.*?)</section>', page, flags=re.DOTALL).group(1)
    shown = [group_text(svg, f"risk-levels-label-{i}") for svg in [charts(risk)["risk-levels"]]
             for i in range(len(re.findall(r'id="risk-levels-label-', risk)))]
    defined = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", risk))
    assert "listed" in shown and "on a risk list, no tag" in html.unescape(defined["listed"])
    for term in shown:
        assert defined.get(term), f"risk level {term!r} is shown without its definition"
        assert re.search(rf"\| `\w+` \| {re.escape(term)} \|", levels_section), f"{term!r} not in docs/definitions.md"
    # One term per idea: "defence-linked" includes the PLA, and no other name for it.
    assert "PLA included" in risk
    for other in ("military-linked", "not PLA", "unconfirmed", "project brief"):
        assert other not in page


def test_merics_figures_cite_the_report_and_the_article_that_reports_them(page):
    sources = dict(re.findall(r'<li id="source-(\d+)">(.*?)</li>', page, flags=re.DOTALL))
    assert "https://www.merics.org/en/report/ai-entanglements" in sources["1"] and "AI entanglements" in sources["1"]
    assert any("University World News, 2023-11-16" in html.unescape(s) for s in sources.values())
    cited = {int(n) for n in re.findall(r'href="#source-(\d+)"', page)}
    assert cited == {int(n) for n in sources}, "every source is cited and every citation has a source"
    for merics_cell in re.findall(r'<td class="n">([^<]+)</td><td>(.*?)</td></tr>', page):
        if merics_cell[0] != "—":
            assert 'href="#source-1"' in merics_cell[1]


def test_every_mart_can_be_downloaded_as_parquet_or_csv(page, con, published):
    marts = [m for (m,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts' "
                                       "order by 1").fetchall()]
    base = report_path(published).parent
    for mart in marts:
        parquet = re.search(rf'href="([^"]+/{mart}\.parquet)"', page).group(1)
        csv = re.search(rf'href="([^"]+/{mart}\.csv)"', page).group(1)
        rows = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
        assert con.execute(f"select count(*) from '{(base / parquet).resolve()}'").fetchone()[0] == rows
        assert con.execute(f"select count(*) from read_csv('{(base / csv).resolve()}')").fetchone()[0] == rows


def test_the_run_checks_that_the_tiles_show_the_published_figures(demo_run):
    evaluations = {e.check_name: e for e in demo_run["result"].get_asset_check_evaluations()
                   if e.asset_key.to_user_string() == "reports/study_report"}
    check = evaluations["tiles_show_the_published_figures"]
    assert check.passed and check.metadata["tiles"].value == 4 and check.metadata["mismatched"].value == "none"


TEXT_ONLY = {"eu_cn_works_with_pla": "eu_cn_works_with_pla_by_text_only",
             "eu_cn_works_defence_linked": "eu_cn_works_defence_linked_by_text_only"}


def text_only_shown(page: str) -> dict[str, tuple[str, str, str]]:
    """The risk section's rows of works tagged on affiliation text alone, by metric: (label, value printed, the
    metric of the row just above)."""
    risk = re.search(r'<section class="card" id="risk">(.*?)</section>', page, flags=re.DOTALL).group(1)
    table = re.findall(r'<tr data-metric="(\w+)" data-scope="EUROPE" data-period="[\w-]+">\s*<td>([^<]*)</td>'
                       r'<td class="n">([^<]+)</td>', risk)
    metrics = [m for m, _, _ in table]
    return {m: (label, value, metrics[i - 1]) for i, (m, label, value) in enumerate(table) if m in TEXT_ONLY.values()}


def test_the_risk_section_says_how_many_pla_and_defence_linked_works_rest_on_affiliation_text_alone(page, con):
    """A row below the PLA and the defence-linked counts, and the section's text, give the headline figures of the
    works tagged on affiliation text alone (whatever they are: the demo's partners may all be resolved)."""
    span = con.execute("select period from marts.agg_risk_year where not is_single_year").fetchone()[0]
    shown = text_only_shown(page)
    risk = html.unescape(re.search(r'<section class="card" id="risk">(.*?)</section>', page, flags=re.DOTALL).group(1))
    for parent, metric in TEXT_ONLY.items():
        value, unit, merics = headline(con, metric, "EUROPE", span)
        label, printed, above = shown[metric]
        assert label.startswith("Of them, on affiliation text alone") and above == parent
        assert_printed(printed, value, unit, metric)
        assert merics is None
    pla, defence = (f"{headline(con, m, 'EUROPE', span)[0]:,.0f}" for m in TEXT_ONLY.values())
    assert (f"carrying the tag: {pla} of the works with a PLA partner and {defence} of those with a defence-linked "
            "partner") in " ".join(re.sub(r"<[^>]+>", "", risk).split())


def test_the_text_only_figures_shown_are_the_marts_whatever_they_are(warehouse_copy):
    """The same rows when the marts count works tagged on text alone (the figures set by hand here)."""
    with duckdb.connect(str(warehouse_copy)) as c:
        keep_top_institutions(c, 1)
        c.execute("update marts.headline_figures set value = 1234 where metric = 'eu_cn_works_with_pla_by_text_only' "
                  "and scope = 'EUROPE' and period like '%-%'")
        c.execute("update marts.headline_figures set value = 5678 where metric = "
                  "'eu_cn_works_defence_linked_by_text_only' and scope = 'EUROPE' and period like '%-%'")
    page = build_report(warehouse_copy)["path"].read_text(encoding="utf-8")
    shown = text_only_shown(page)
    assert shown["eu_cn_works_with_pla_by_text_only"][1] == "1,234"
    assert shown["eu_cn_works_defence_linked_by_text_only"][1] == "5,678"
    assert "1,234 of the works with a PLA partner and 5,678 of those with a defence-linked partner" in page


def test_the_headline_table_of_make_run_says_how_many_works_rest_on_affiliation_text_alone(warehouse_copy, capsys):
    from dagster_project.run import print_headline

    # A copy: make run's read-only connection and this module's to the published file cannot be open at once.
    print_headline(warehouse_copy)
    lines = capsys.readouterr().out.splitlines()
    with duckdb.connect(str(warehouse_copy), read_only=True) as c:
        span = c.execute("select period from marts.agg_risk_year where not is_single_year").fetchone()[0]
        for parent, label in (("eu_cn_works_with_pla", "works with a PLA institution"),
                              ("eu_cn_works_defence_linked", "works with a defence-linked institution")):
            i = next(i for i, line in enumerate(lines) if line.startswith(label))
            assert lines[i + 1].strip().startswith("of them on affiliation text alone"), lines[i + 1]
            assert_printed(lines[i + 1].split()[-1], headline(c, TEXT_ONLY[parent], "EUROPE", span)[0], "works",
                           TEXT_ONLY[parent])


def test_an_institution_page_gives_the_strings_behind_a_tag_resting_on_affiliation_text_alone(warehouse_copy):
    """A work of the institution tagged PLA on affiliation text alone (set by hand here: the demo's partners are all
    resolved) is listed on its page with the string, the listed body and the name found in it."""
    string = "Treatment and Research Center for Infectious Diseases, The Fifth Medical Center of PLA General Hospital, " \
             "Beijing 100039, China"
    with duckdb.connect(str(warehouse_copy)) as c:
        keep_top_institutions(c, 1)
        institution, work = c.execute(
            "select institution_id, max(work_id) from marts.fct_institution_eu_cn_works group by 1").fetchone()
        c.execute("""update marts.fct_eu_cn_works set has_pla_by_text_only = true, risk_reasons = list_append(
                         risk_reasons, struct_pack(chinese_institution_id := null, chinese_institution_name := null,
                             entity_id := 'chinese_pla_general_hospital', entity_name := 'Chinese PLA General Hospital',
                             entity_group := 'pla_medical', match_path := 'affiliation_text', unit_ror_id := null,
                             matched_institution_id := null, matched_ror_id := null,
                             source_lists := 'ror_cn_hk_mo_tw_subset', source_url := 'https://ror.org/04gw3ra78',
                             affiliation_string := ?, matched_name := 'PLA General Hospital'))
                     where work_id = ?""", [string, work])
        ror = c.execute("select institution_ror from marts.institution_profiles").fetchone()[0]
    build_report(warehouse_copy)
    page = html.unescape((warehouse_copy.parent / "report" / "institutions" / f"{ror or institution}.html")
                         .read_text(encoding="utf-8"))
    row = re.search(rf'<tr data-text-work="{work}">(.*?)</tr>', page, flags=re.DOTALL).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert f"“{string}” names Chinese PLA General Hospital as “PLA General Hospital”" in text and " PLA " in text
    assert "Works tagged on affiliation text alone (1)" in page
    assert "Tagged on affiliation text alone: 1 of its works" in " ".join(re.sub(r"<[^>]+>", "", page).split())


def test_synthetic_data_gets_a_banner(page):
    assert 'class="banner"' in page and "SYNTHETIC DATA" in page


@pytest.fixture
def warehouse_copy(published, tmp_path) -> Path:
    """A writable copy of the published warehouse with its Parquet folder."""
    shutil.copy(published, tmp_path / published.name)
    shutil.copytree(published.parent / "parquet", tmp_path / "parquet")
    return tmp_path / published.name


def test_real_data_gets_no_banner(warehouse_copy):
    with duckdb.connect(str(warehouse_copy)) as c:
        keep_top_institutions(c, 2)
        c.execute("create table staging.dataset_flag as select dataset_label, false as is_synthetic "
                  "from staging.stg_openalex__dataset")
        kind = c.execute("select table_type from information_schema.tables where table_schema = 'staging' "
                         "and table_name = 'stg_openalex__dataset'").fetchone()[0]
        c.execute(f"drop {'view' if kind == 'VIEW' else 'table'} staging.stg_openalex__dataset")
        c.execute("alter table staging.dataset_flag rename to stg_openalex__dataset")
    summary = build_report(warehouse_copy)
    assert not summary["synthetic"] and 'class="banner"' not in summary["path"].read_text(encoding="utf-8")


@pytest.mark.parametrize("statement, named", [
    ("alter table marts.agg_institution_links drop column chinese_risk_level",
     "column chinese_risk_level of marts.agg_institution_links"),
    ("alter table marts.headline_figures rename column merics_source to merics_url",
     "column merics_source of marts.headline_figures"),
    ("drop table marts.agg_risk_year", "marts.agg_risk_year, which is not in the warehouse"),
    ("delete from marts.headline_figures where metric = 'eu_cn_works_with_pla'", "metric eu_cn_works_with_pla"),
])
def test_a_missing_table_column_or_figure_stops_the_report_naming_it(warehouse_copy, statement, named):
    with duckdb.connect(str(warehouse_copy)) as c:
        c.execute(statement)
    with pytest.raises(ReportInputError, match=re.escape(named)):
        build_report(warehouse_copy)
    assert not (warehouse_copy.parent / "report" / "index.html").exists()


# --- in a browser ------------------------------------------------------------------------------------------

LAYOUT_PROBE = """<script>
// Where each chart text and table cell lands once laid out: clipped, ellipsised or overlapping text shows here.
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const out = {charts: [], cells: []};
document.querySelectorAll("figure.chart svg").forEach(svg => {
  const chart = {id: svg.id, box: box(svg), texts: [], markers: []};
  svg.querySelectorAll("text").forEach(t => chart.texts.push(
    {text: t.textContent, group: (t.closest("g[id]") || {}).id || "", box: box(t)}));
  svg.querySelectorAll("g[id*='-merics-']").forEach(g => chart.markers.push({group: g.id, box: box(g)}));
  out.charts.push(chart);
});
document.querySelectorAll("td, th, .tile div, dt, dd").forEach(c => out.cells.push(
  {text: c.textContent, clipped: c.scrollWidth > c.clientWidth + 1,
   ellipsis: getComputedStyle(c).textOverflow === "ellipsis"}));
const pre = document.createElement("pre"); pre.id = "layout"; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def browser_layout(page_html: str, folder: Path) -> dict:
    """The page laid out by headless Chromium: every chart text's box and every cell's overflow."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "the browser check needs Chromium: apt-get install -y chromium"
    probe = folder / "probe.html"
    probe.write_text(page_html.replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={folder / 'profile'}",
         "--window-size=1280,1000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(html.unescape(re.search(r'<pre id="layout">(.*?)</pre>', dom, flags=re.DOTALL).group(1)))


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def layout_problems(layout: dict) -> list[str]:
    """Cut, clipped or covered labels: what a reader could not read in full."""
    problems = []
    for chart in layout["charts"]:
        left, top, right, bottom = chart["box"]
        for t in chart["texts"]:
            x0, y0, x1, y1 = t["box"]
            if "…" in t["text"] or t["text"].rstrip().endswith("..."):
                problems.append(f"{chart['id']}: label cut short: {t['text']!r}")
            if x0 < left - 0.5 or y0 < top - 0.5 or x1 > right + 0.5 or y1 > bottom + 0.5:
                problems.append(f"{chart['id']}: label outside the chart, clipped: {t['text']!r}")
        values = [t for t in chart["texts"] if "-value-" in t["group"]]
        for v in values:
            for m in chart["markers"]:
                if overlap(v["box"], m["box"]):
                    problems.append(f"{chart['id']}: MERICS marker {m['group']} over the value {v['text']!r}")
        for i, a in enumerate(values):
            for b in values[i + 1:]:
                if overlap(a["box"], b["box"]):
                    problems.append(f"{chart['id']}: values {a['text']!r} and {b['text']!r} overlap")
    for cell in layout["cells"]:
        if cell["clipped"] or cell["ellipsis"] or "…" in cell["text"]:
            problems.append(f"table or tile text cut: {cell['text']!r}")
    return problems


def test_no_label_is_cut_clipped_or_covered_in_a_browser(page, con, tmp_path):
    layout = browser_layout(page, tmp_path)
    assert {c["id"] for c in layout["charts"]} >= {"shares", "growth", "uk", "countries", "risk-tags", "risk-levels", "links",
                                                     "funding"}
    assert layout_problems(layout) == []
    # Every institution of the largest links is on screen in full, in the chart and in the table.
    names = {n for row in con.execute("select european_institution_name, chinese_institution_name from "
                                      "marts.agg_institution_links order by eu_cn_works desc, "
                                      "european_institution_name, chinese_institution_name limit 10").fetchall()
             for n in row}
    links = next(c for c in layout["charts"] if c["id"] == "links")
    label_text = " ".join(t["text"] for t in links["texts"] if "-label-" in t["group"])
    cells = {c["text"] for c in layout["cells"]}
    for name in names:
        assert " ".join(name.split()) in label_text and name in cells, name


def test_the_browser_check_catches_a_cut_or_clipped_label(page, tmp_path):
    """The check above can fail: a label ellipsised as the old report did, and one pushed out of its chart."""
    first_line = re.search(r'<g id="links-label-0">\s*<text[^>]*>([^<]+)</text>', page).group(1)
    cut = page.replace(f">{first_line}<", f">{first_line[:12]}…<", 1)
    # Shrinking the countries chart's viewBox pushes its labels out of the visible box.
    clipped = re.sub(r'(<svg [^>]*id="countries"[^>]*viewBox="0 0 )([\d.]+)', lambda m: m.group(1) + "200", cut,
                     count=1)
    clipped = re.sub(r'(<svg [^>]*viewBox="0 0 )([\d.]+)([^>]*id="countries")',
                     lambda m: m.group(1) + "200" + m.group(3), clipped, count=1)
    problems = layout_problems(browser_layout(clipped, tmp_path))
    assert any("label cut short" in p and p.startswith("links") for p in problems), problems
    assert any("clipped" in p and p.startswith("countries") for p in problems), problems


def test_more_pages_can_be_written_on_the_same_base(tmp_path):
    """Per-institution pages (or any other) extend templates/base.html and are written the same way."""
    from dagster_project.report import Page, write_pages

    common = {"generated_at": "now", "warehouse_path": "/w/openalex.duckdb", "dataset_label": "SYNTHETIC demo",
              "is_synthetic": True}
    written = write_pages([Page("institutions/I1.html", "base.html", {})], tmp_path, common)
    text = (tmp_path / "institutions" / "I1.html").read_text(encoding="utf-8")
    assert written == {"institutions/I1.html": len(text.encode())}
    assert "SYNTHETIC DATA" in text and "SYNTHETIC demo" in text and text.startswith("<!doctype html>")


def test_a_chart_shortens_only_a_name_longer_than_three_lines_and_never_inside_a_parenthesis():
    from dagster_project.report.charts import NAME_CHARS, shorten

    whole = "Accentus Medical (United Kingdom"  # OpenAlex's own display name, shown as it is
    assert shorten(whole) == whole
    fits = ("Key Laboratory of Intelligent Perception " * 4)[:NAME_CHARS]
    assert shorten(fits) == fits
    head = "State Key Laboratory of Intelligent Perception and Image Understanding of the Ministry of Education"
    long = f"{head} (Xidian University, Joint Research Institute of Very Long Names and Their Parentheses)"
    assert len(head) < NAME_CHARS < len(long)
    assert shorten(long) == f"{head}…"
    words = "Institute of Artificial Intelligence and Robotics for Intelligent Manufacturing " * 3
    assert shorten(words).endswith("…") and len(shorten(words)) <= NAME_CHARS and words.startswith(shorten(words)[:-1])


def test_the_largest_links_share_a_rank_when_their_works_are_equal(page, con):
    """The links table's "#": a competition ranking over every link by works, worked out here; equal works share a
    rank, marked "=" (ranks 2=, 2=, 4, not 2, 3, 4)."""
    works = [n for (n,) in con.execute("select eu_cn_works from marts.agg_institution_links").fetchall()]
    rows = re.findall(r'<tr data-rank="\d+"><td>([^<]+)</td>.*?<td class="n">([\d,]+)</td></tr>', page)
    assert rows
    for shown, printed in rows:
        n = int(printed.replace(",", ""))
        assert shown == f"{1 + sum(w > n for w in works)}{'=' if works.count(n) > 1 else ''}", (shown, n)
    assert any(shown.endswith("=") for shown, _ in rows), "the demo's largest links include equal ones"
