"""Names and titles read from the marts are shown as plain text everywhere: in the report's charts (no mathtext, `%`
and `\\` as typed), in its HTML (escaped, no markup or script from data, no template syntax evaluated) and in
`make profile`'s output (printed literally, terminal control characters shown escaped, never sent to the
terminal).

A copy of the session's demo warehouse has its names, titles and funders replaced by hostile texts; the study page,
two institution pages with the index, and the command's output are made from it by the real code. A
2,000-character name keeps the page's layout: in a chart it is shortened at a word (its qualifier, such as the risk
level, kept whole) with the full label as the label's tooltip; in a table and a heading it is shown in full and
wraps, a run without spaces included.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape
from test_report import SVG_NS, charts, group_text, overlap

from dagster_project.report import build_report, report_dir
from dagster_project.report.charts import Bar, Series, bar_chart, column_chart, stacked_column_chart
from dagster_project.report.institution_data import page_names, partner_order
from dagster_project.report.study import RISK_LEVELS
from tests.conftest import keep_top_institutions

ROOT = Path(__file__).resolve().parent.parent
MATHTEXT = r"Zhejiang $\badcmd{x}$ Univ"  # mathtext that does not parse: the report step used to fail
DOLLARS = "Fund of $5M and $6M"  # mathtext that parses: it used to be drawn as italic maths, without the dollars
ESCAPES = r"Lab 100% \n C:\temp %s %(name)s {0}"
MARKUP = "<script>alert('data')</script> & <b>Bold</b> \"Quoted\" Institute"
TEMPLATE = "{{ 7 * 7 }} {% if true %}Academy{% endif %} {# note #}"
LONG_WORDS = ("Key Laboratory of Intelligent Perception (Xidian University) and Image Understanding of the Ministry "
              "of Education " * 20)[:1999] + "Z"
LONG_RUN = ("Forschungszentrum" * 120)[:2000]  # no space to wrap at
NAMES = [MATHTEXT, DOLLARS, ESCAPES, MARKUP, TEMPLATE, LONG_WORDS, LONG_RUN]
TERMINAL = "Evil\x1b[2J\x1b[31m Institute\rHidden\x07"  # clears the screen, colours, overwrites the line, rings
LONG = {LONG_WORDS, LONG_RUN}
assert len(LONG_WORDS) == len(LONG_RUN) == 2000


def words(text: str) -> str:
    return " ".join(text.split())


def label_title(svg: ET.Element, gid: str) -> str | None:
    """The tooltip (`<title>`) of a chart element, if it has one."""
    for g in svg.iter(f"{SVG_NS}g"):
        if g.get("id") == gid:
            title = g.find(f"{SVG_NS}title")
            return None if title is None else title.text
    raise AssertionError(f"no element {gid} in chart {svg.get('id')}")


def assert_label(svg: ET.Element, gid: str, full: str, kept: list[str]) -> None:
    """A chart label shows `full` as typed, or, when too long for a label, shortened with `…` and the whole text
    as its tooltip; the parts in `kept` (a country code, a risk level) are shown whole either way."""
    shown = group_text(svg, gid)
    if shown == words(full):
        return
    assert "…" in shown and len(shown) < 400, (gid, shown[:500])
    assert label_title(svg, gid) == full, gid
    for part in kept:
        assert part in shown, (gid, part, shown)


def cell_text(cell: str) -> str:
    """A table cell's text: it holds no element but line-break opportunities (`<wbr>`)."""
    assert not re.search(r"<(?!wbr>)", cell), cell[:200]
    return html.unescape(cell.replace("<wbr>", ""))


def svg_width(svg: ET.Element) -> float:
    return float(svg.get("width").removesuffix("pt"))


def test_chart_text_is_drawn_as_typed():
    """Every kind of chart draws its labels, values and legends as the text they were given."""
    short = [MATHTEXT, DOLLARS, ESCAPES, MARKUP, TEMPLATE]
    bars = ET.fromstring(bar_chart("b", "bars", [Bar(n, float(i + 1), "#888888") for i, n in enumerate(short)],
                                   "works", legend=[(MATHTEXT, "#888888")]))
    for i, name in enumerate(short):
        assert group_text(bars, f"b-label-{i}") == name
    columns = ET.fromstring(column_chart("c", "columns", ["2020", "2021"],
                                         [Series(n, "#888888", {"2020": 0.1, "2021": 0.25}) for n in short[:3]],
                                         "share"))
    stacked = ET.fromstring(stacked_column_chart("s", "stacked", ["2020", "2021"],
                                                 [Series(n, "#888888", {"2020": 1, "2021": 2}) for n in short[3:]],
                                                 "works"))
    for svg, names in ((bars, [MATHTEXT]), (columns, short[:3]), (stacked, short[3:])):
        texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG_NS}text")]
        for name in names:
            assert name in texts, (svg.get("id"), name)
    assert "25.0%" in [t.strip() for t in ("".join(t.itertext()) for t in columns.iter(f"{SVG_NS}text"))]


def ranked(con, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def plant_hostile_texts(published: Path, root: Path) -> dict:
    """A copy of the published warehouse (two institutions kept) whose names, titles and funders are the hostile
    texts, and the report drawn from it."""
    shutil.copy(published, root / published.name)
    shutil.copytree(published.parent / "parquet", root / "parquet")
    copy = root / published.name
    hostile = {"names": NAMES, "n": len(NAMES)}
    with duckdb.connect(str(copy)) as c:
        keep_top_institutions(c, 2)
        first, second = [r[0] for r in c.execute("select institution_id from marts.institution_profiles "
                                                  "order by rank_by_defence_linked_works").fetchall()]
        for iid, name in ((first, MATHTEXT), (second, LONG_RUN)):
            for mart in ("institution_profiles", "institution_partners"):
                c.execute(f"update marts.{mart} set institution_name = ? where institution_id = ?", [name, iid])
        c.execute("update marts.institution_profiles set dataset_label = $label, top_funders = (select "
                  "list(struct_pack(funder_name := n, eu_cn_works := 1)) from unnest($names::varchar[]) as t(n))",
                  {"label": MARKUP, "names": NAMES})
        # The first institution's partners in the page's order (riskiest first, then by works): each of the first
        # seven gets one of the names.
        c.execute("""update marts.institution_partners as p
                     set partner_name = ($names::varchar[])[(n.k - 1) % $n + 1],
                         partner_risk_entities = list_transform(p.partner_risk_entities, e -> struct_update(
                             e, reason := $reason, source_url := 'javascript:alert(1)')),
                         dual_use_areas = list_transform(p.dual_use_areas, a -> $area),
                         newest_works = list_transform(p.newest_works, w -> struct_update(w, title := $title))
                     from (select partner_institution_id, row_number() over (
                               order by case partner_risk_level when 'pla' then 0 when 'defence_linked' then 1
                                                                 when 'security_linked' then 2 when 'listed' then 3
                                                                 else 4 end,
                                        eu_cn_works desc, partner_institution_id) as k
                           from marts.institution_partners where institution_id = $id) as n
                     where p.institution_id = $id and p.partner_institution_id = n.partner_institution_id""",
                  {**hostile, "reason": ESCAPES, "area": TEMPLATE, "title": TERMINAL, "id": first})
        # Its works (all of them dual-use, so that both of the page's lists and the command's show them) by year.
        c.execute("""update marts.fct_institution_eu_cn_works as w
                     set title = ($names::varchar[])[(n.k - 1) % $n + 1], is_dual_use = true,
                         dual_use_areas = [$area]
                     from (select work_id, row_number() over (order by publication_year desc, work_id desc) as k
                           from marts.fct_institution_eu_cn_works where institution_id = $id) as n
                     where w.institution_id = $id and w.work_id = n.work_id""", {**hostile, "area": TEMPLATE, "id": first})
        c.execute("""update marts.institution_profiles set dual_use_works = (select count(*)
                     from marts.fct_institution_eu_cn_works as w where w.institution_id = $id) where institution_id = $id""",
                  {"id": first})
        # The study page's largest links (only those kept, so that renaming them reorders no other into view)
        # and the countries it names.
        c.execute("""delete from marts.agg_institution_links where (european_institution_id, chinese_institution_id)
                     not in (select (european_institution_id, chinese_institution_id) from marts.agg_institution_links
                             order by eu_cn_works desc, european_institution_name, chinese_institution_name limit 10)""")
        c.execute("""update marts.agg_institution_links as l
                     set european_institution_name = ($names::varchar[])[n.k],
                         chinese_institution_name = ($names::varchar[])[(n.k + 2) % $n + 1]
                     from (select european_institution_id, chinese_institution_id, row_number() over (
                               order by eu_cn_works desc, european_institution_id, chinese_institution_id) as k
                           from marts.agg_institution_links) as n
                     where n.k <= $n and l.european_institution_id = n.european_institution_id
                       and l.chinese_institution_id = n.chinese_institution_id""", hostile)
        for scope, name in (("GB", MATHTEXT), ("DE", LONG_WORDS), ("FR", ESCAPES)):
            c.execute("update marts.agg_country_year set scope_name = ? where scope = ?", [name, scope])
        c.execute("update marts.headline_figures set merics_source = ? where merics_value is not null", [TEMPLATE])
        c.execute("create table staging.dataset_flag as select ? as dataset_label, is_synthetic "
                  "from staging.stg_openalex__dataset", [MARKUP])
        kind = c.execute("select table_type from information_schema.tables where table_schema = 'staging' "
                         "and table_name = 'stg_openalex__dataset'").fetchone()[0]
        c.execute(f"drop {'view' if kind == 'VIEW' else 'table'} staging.stg_openalex__dataset")
        c.execute("alter table staging.dataset_flag rename to stg_openalex__dataset")
        partners = sorted(ranked(c, "select * from marts.institution_partners where institution_id = ?", [first]),
                          key=partner_order)
        assert len(partners) >= len(NAMES), "the most exposed institution has a partner for every name"
        pages = page_names(c)
    summary = build_report(copy)
    folder = report_dir(copy) / "institutions"
    return {"copy": copy, "first": first, "summary": summary, "partners": partners, "folder": folder,
            "first_page": folder / pages[first], "second_page": folder / pages[second]}


@pytest.fixture(scope="module")
def hostile(demo_run, tmp_path_factory) -> dict:
    assert demo_run["result"].success
    return plant_hostile_texts(demo_run["settings"].warehouse_path, tmp_path_factory.mktemp("text_safety"))


def scripts(page: str) -> int:
    return len(re.findall(r"<script", page, flags=re.IGNORECASE))


def test_the_study_page_shows_names_from_the_marts_as_text(hostile):
    page = hostile["summary"]["path"].read_text(encoding="utf-8")
    assert scripts(page) == 0
    with duckdb.connect(str(hostile["copy"]), read_only=True) as c:
        links = ranked(c, "select european_institution_name as eu, european_country_code as cc, "
                          "chinese_institution_name as cn from marts.agg_institution_links "
                          "order by eu_cn_works desc, european_institution_name, chinese_institution_name limit 10")
    svgs = charts(page)
    shown = {n for link in links for n in (link["eu"], link["cn"])}
    assert set(NAMES) <= shown
    rows = re.findall(r'<tr data-rank="\d+">(.*?)</tr>', page, flags=re.DOTALL)
    texts = {cell_text(cell) for row in rows for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.DOTALL)}
    for i, link in enumerate(links):
        assert_label(svgs["links"], f"links-label-{i}", f"{link['eu']} ({link['cc']}) × {link['cn']}",
                     [f"({link['cc']}) × "])
        assert link["eu"] in texts and link["cn"] in texts
    countries = [group_text(svgs["countries"], g.get("id")) for g in svgs["countries"].iter(f"{SVG_NS}g")
                 if re.fullmatch(r"countries-label-\d+", g.get("id") or "")]
    assert f"{MATHTEXT} (GB)" in countries
    # The UK chart's legend: each country's name, shortened to keep the legend within the chart, whole as the tooltip.
    for k, (name, scope) in enumerate(((MATHTEXT, "GB"), (LONG_WORDS, "DE"), (ESCAPES, "FR"))):
        assert_label(svgs["uk"], f"uk-legend-{k}", f"{name} ({scope})", [f"({scope})"])
    sources = dict(re.findall(r'<li id="source-(\d+)">(.*?)</li>', page, flags=re.DOTALL))
    assert cell_text(sources["2"]) == TEMPLATE  # a source without a link: its text, not evaluated
    assert f"data set:\n{escape(MARKUP)}." in page  # the footer's


def test_institution_pages_show_names_titles_and_funders_as_text(hostile):
    index = (hostile["folder"] / "index.html").read_text(encoding="utf-8")
    first, second = (hostile[p].read_text(encoding="utf-8") for p in ("first_page", "second_page"))
    assert scripts(index) == 1 and scripts(first) == scripts(second) == 0  # the index's own sorting and search
    assert "javascript:" not in first  # a risk list's source address that is no web address is not linked
    links = {cell_text(name) for name in re.findall(r'<td><a href="[^"]+">(.*?)</a></td>', index)}
    assert {MATHTEXT, LONG_RUN} <= links
    for page, name in ((first, MATHTEXT), (second, LONG_RUN)):
        assert cell_text(re.search(r"<h1>(.*?) \(\w+\)</h1>", page).group(1)) == name
        assert f"<title>{escape(name)}:" in page
    rows = dict(re.findall(r'<tr data-partner="([^"]+)">(.*?)</tr>', first, flags=re.DOTALL))
    svg = charts(first)["inst-partners"]
    for i, p in enumerate(hostile["partners"]):
        cell = re.search(r"<td>(.*?)</td>", rows[p["partner_institution_id"]], flags=re.DOTALL).group(1)
        assert cell_text(cell) == p["partner_name"]
        if i < 15:
            level = RISK_LEVELS[p["partner_risk_level"]].label
            assert_label(svg, f"inst-partners-label-{i}", f"{p['partner_name']} ({level})", [f"({level})"])
    works = re.search(r'<section class="card" id="works">(.*?)</section>', first, flags=re.DOTALL).group(1)
    cells = {cell_text(c) for c in re.findall(r"<td>(.*?)</td>", works, flags=re.DOTALL) if not c.startswith("<a ")}
    for name in NAMES:
        assert name in cells, f"funder or work title {name[:60]!r}"


def test_a_2000_character_name_keeps_the_pages_layout(hostile, tmp_path):
    """In a chart: shortened to three or four lines, its qualifier whole, the whole label as its tooltip, the chart
    no wider than 800 pt (the demo's widest is about 745), its row as tall as its label so that no labels overlap. In
    a heading or a table: whole, wrapping (a run without spaces too), so that no page is wider than the browser's
    window."""
    pages = [hostile["summary"]["path"], *sorted(hostile["folder"].glob("*.html"))]
    svg = charts(hostile["first_page"].read_text(encoding="utf-8"))["inst-partners"]
    for i, p in enumerate(hostile["partners"][:15]):
        if p["partner_name"] in LONG:
            label = next(g for g in svg.iter(f"{SVG_NS}g") if g.get("id") == f"inst-partners-label-{i}")
            assert 1 < len(list(label.iter(f"{SVG_NS}text"))) <= 4
            assert label_title(svg, f"inst-partners-label-{i}") == f"{p['partner_name']} (" \
                f"{RISK_LEVELS[p['partner_risk_level']].label})"
    for page in pages:
        for chart_id, chart in charts(page.read_text(encoding="utf-8")).items():
            assert svg_width(chart) < 800, (page.name, chart_id, svg_width(chart))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "the browser check needs Chromium: apt-get install -y chromium"
    for page in pages:
        probe = tmp_path / f"probe-{page.parent.name}-{page.name}"
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1000", "--dump-dom",
                              probe.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
        seen = json.loads(html.unescape(re.search(r'<pre id="layout">(.*?)</pre>', dom, flags=re.DOTALL).group(1)))
        assert seen["page"] <= seen["window"], f"{probe.name} is {seen['page']} px wide in a {seen['window']} px window"
        for labels in seen["labels"]:
            for a, b in itertools.combinations(labels, 2):
                assert not overlap(a["box"], b["box"]), f"{probe.name}: labels {a['id']} and {b['id']} overlap"


LAYOUT_PROBE = """<script>
// The page's width against the window's, and where each chart's category labels land.
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const labels = Array.from(document.querySelectorAll("figure.chart svg")).map(svg => Array.from(
  svg.querySelectorAll("g[id*='-label-']")).map(g => ({id: g.id, box: box(g)})));
const pre = document.createElement("pre"); pre.id = "layout";
pre.textContent = JSON.stringify({page: document.documentElement.scrollWidth,
                                  window: document.documentElement.clientWidth, labels});
document.body.appendChild(pre);
</script>"""


def test_the_profile_command_prints_names_and_titles_literally(hostile, tmp_path):
    done = subprocess.run([sys.executable, "-m", "dagster_project.profile_cli", hostile["first"], "--warehouse",
                           str(hostile["copy"]), "--page-dir", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"{MATHTEXT} (") and f"Data: {MARKUP}\n" in out
    flat = words(out)
    for name in NAMES:  # partners and funders, whole
        assert f"  {name} [" in out and f"  1  {name}\n" in out, name[:60]
    with duckdb.connect(str(hostile["copy"]), read_only=True) as c:
        dual_use = c.execute("select publication_year, title from marts.fct_institution_eu_cn_works "
                             "where institution_id = ? and is_dual_use", [hostile["first"]]).fetchall()
    assert {title for _, title in dual_use} & LONG, "a 2,000-character title among the dual-use works"
    for year, title in dual_use:  # whole, a long one wrapped at its spaces only
        assert words(f"{year} {title} (doi") in flat, title[:60]
    assert f"tag: {ESCAPES};" in out
    if any(p["dual_use_areas"] for p in hostile["partners"]):
        assert f"dual-use areas: {TEMPLATE}" in out
    # Control characters are shown, not obeyed: no escape sequence, carriage return or bell reaches the terminal.
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert r"Evil\x1b[2J\x1b[31m Institute\rHidden\x07" in out
    page = Path(re.search(r"^Page: (.+)$", out, flags=re.M).group(1))
    assert f"<h1>{escape(MATHTEXT)} (" in page.read_text(encoding="utf-8")
