"""The institution pages the report asset writes: each page's figures read back from its HTML and compared with
the institution marts, the index in rank order with a page behind every entry, a page whose partner is a lab known
only through lineage, and the pages laid out in headless Chromium (no label cut, the index's sort and search
working). Needs `chromium` on PATH, like tests/test_report.py, whose browser check it reuses.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from test_report import browser_layout, charts, group_text, layout_problems

from dagster_project.report import ReportInputError, build_report, report_dir, write_institution_page
from dagster_project.report.institution_data import page_names
from dagster_project.report.study import RISK_LEVELS
from dagster_project.study_definitions import dbt_vars
from tests.conftest import WAREHOUSE_LINK, keep_top_institutions


@pytest.fixture(scope="module")
def published(demo_run) -> Path:
    assert demo_run["result"].success
    return demo_run["settings"].warehouse_path


@pytest.fixture(scope="module")
def con(published):
    with duckdb.connect(str(published), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def folder(published) -> Path:
    return report_dir(published) / "institutions"


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def page_file(folder: Path, profile: dict) -> Path:
    return folder / f"{profile['institution_ror'] or profile['institution_id']}.html"


def text(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())


def table_rows(page: str, attr: str) -> dict[str, list[str]]:
    """The cells (as text) of each table row carrying data-<attr>, by that attribute's value."""
    out = {}
    for key, body in re.findall(rf'<tr data-{attr}="([^"]+)">(.*?)</tr>', page, flags=re.DOTALL):
        out[key] = [text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", body, flags=re.DOTALL)]
    return out


# The one order of an institution's partners, written out here: riskiest first, then most works, then name.
PARTNERS_RISKIEST_FIRST = """select * from marts.institution_partners where institution_id = ?
    order by case partner_risk_level when 'pla' then 0 when 'defence_linked' then 1 when 'security_linked' then 2
                                     when 'listed' then 3 else 4 end,
             eu_cn_works desc, partner_name, partner_institution_id"""


def years_of(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def competition_ranks(con) -> dict[str, str]:
    """Each institution's rank by defence-linked, then all Europe–China works, as shown: equal pairs share one,
    marked "=" (worked out here, not read from the mart's rank)."""
    pairs = dict((r[0], (r[1], r[2])) for r in con.execute(
        "select institution_id, eu_cn_works_defence_linked, eu_cn_works from marts.institution_profiles").fetchall())
    values = list(pairs.values())
    return {i: f"{1 + sum(v > key for v in values)}{'=' if values.count(key) > 1 else ''}" for i, key in pairs.items()}


def check_page_against_marts(con, folder: Path, institution_id: str) -> str:
    """Every figure of one institution's page equals the marts'; returns the page."""
    p = rows(con, "select * from marts.institution_profiles where institution_id = ?", [institution_id])[0]
    page = page_file(folder, p).read_text(encoding="utf-8")
    assert f"<h1>{html.escape(p['institution_name'])} ({p['country_code']})</h1>" in page
    assert f'data-field="rank_by_defence_linked_works">{competition_ranks(con)[institution_id]}<' in page
    tiles = dict(re.findall(r'<div class="tile" data-field="(\w+)">\s*<div class="v">([^<]+)</div>', page))
    for field in ("eu_cn_works", "eu_cn_works_defence_linked", "eu_cn_works_with_pla", "eu_cn_works_security_linked",
                  "chinese_partners"):
        assert tiles[field] == f"{p[field]:,}", field
    if p["share_of_ai_works_with_cn"] is not None:
        assert abs(float(tiles["share_of_ai_works_with_cn"].rstrip("%")) / 100 - p["share_of_ai_works_with_cn"]) <= 5e-4

    svgs = charts(page)
    years = rows(con, "select * from marts.agg_institution_years where institution_id = ? order by publication_year",
                 [institution_id])
    levels = [c.removeprefix("eu_cn_works_risk_") for c in years[0] if c.startswith("eu_cn_works_risk_")]
    year_table = table_rows(page, "year")
    # A chart is drawn only when it compares: joint works in two years or more, two partners or more.
    active = [y["publication_year"] for y in years if y["eu_cn_works"]]
    assert ("inst-years" in svgs) == (len(active) >= 2)
    if len(active) == 1:
        assert f"All of them are from {active[0]}, so the table alone shows them." in page
    for i, y in enumerate(years):
        cells = year_table[str(y["publication_year"])]
        assert [int(c.replace(",", "")) for c in cells[1:len(levels) + 2]] == \
            [y[f"eu_cn_works_risk_{lvl}"] for lvl in levels] + [y["eu_cn_works"]]
        if "inst-years" in svgs:
            assert group_text(svgs["inst-years"], f"inst-years-value-{i}") == f"{y['eu_cn_works']:,}"
            # A year's segments are drawn for exactly its non-zero levels.
            drawn = {j for j in range(len(levels)) if f'id="inst-years-seg-{j}-{i}"' in page}
            assert drawn == {j for j, lvl in enumerate(levels) if y[f"eu_cn_works_risk_{lvl}"]}

    partners = rows(con, PARTNERS_RISKIEST_FIRST, [institution_id])
    assert len(partners) == p["chinese_partners"]
    partner_table = table_rows(page, "partner")
    assert list(partner_table) == [r["partner_institution_id"] for r in partners]
    assert ("inst-partners" in svgs) == (len(partners) >= 2)
    for i, r in enumerate(partners):
        level = RISK_LEVELS[r["partner_risk_level"]].label
        cells = partner_table[r["partner_institution_id"]]
        assert cells[:5] == [r["partner_name"], r["partner_ror"] or "none", level,
                             years_of(r["first_year"], r["last_year"]), str(r["eu_cn_works"])]
        for e in r["partner_risk_entities"]:
            assert e["entity_name"] in cells[5] and e["source_lists"].split("|")[0] in cells[5]
            if e["match_path"] == "lineage_ancestor":
                assert f"an ancestor in its OpenAlex lineage ({e['matched_institution_id']}" in cells[5]
        if i < 15 and "inst-partners" in svgs:
            assert group_text(svgs["inst-partners"], f"inst-partners-label-{i}") == f"{r['partner_name']} ({level})"
            assert group_text(svgs["inst-partners"], f"inst-partners-value-{i}") == str(r["eu_cn_works"])

    newest = rows(con, "select work_id, doi from marts.fct_institution_eu_cn_works where institution_id = ? "
                       "order by publication_year desc, work_id desc limit 10", [institution_id])
    works = re.search(r'<section class="card" id="works">(.*?)</section>', page, flags=re.DOTALL).group(1)
    for w in newest:
        assert f'data-work="{w["work_id"]}"' in works
        if w["doi"]:
            assert f'href="https://doi.org/{w["doi"]}"' in works
    for f in p["top_funders"]:
        assert f"<td>{f['funder_name']}</td>" in html.unescape(works)
    assert f"Dual-use works ({p['dual_use_works']}" in works
    return page


def test_every_profiled_institution_has_a_page_in_the_index_in_rank_order(con, folder, demo_run):
    ranked = rows(con, "select institution_id, institution_ror, eu_cn_works_defence_linked from "
                       "marts.institution_profiles order by eu_cn_works_defence_linked desc, eu_cn_works desc, "
                       "institution_name, institution_id")
    index = (folder / "index.html").read_text(encoding="utf-8")
    listed = re.findall(r'<tr data-institution="(\w+)"[^>]*>\s*<td class="n" data-sort="\d+">(\d+=?)</td>\s*'
                        r'<td><a href="([^"]+)">', index)
    assert [i for i, _, _ in listed] == [r["institution_id"] for r in ranked]
    # Ties are shown as ties: equal figures share a rank ("23=") and the next rank skips (competition ranking).
    shown = competition_ranks(con)
    assert [n for i, n, _ in listed] == [shown[i] for i, _, _ in listed]
    assert any(n.endswith("=") for _, n, _ in listed), "the demo has institutions with equal figures"
    defence = [r["eu_cn_works_defence_linked"] for r in ranked]
    assert defence == sorted(defence, reverse=True)
    for (_, _, href), r in zip(listed, ranked, strict=True):
        assert href == page_file(folder, r).name and (folder / href).is_file()
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(["index.html", *(h for _, _, h in listed)])
    # The study page links the index; the asset's materialisation says how many pages and where the index is.
    assert 'href="institutions/index.html"' in (folder.parent / "index.html").read_text(encoding="utf-8")
    meta = next(m for m in demo_run["result"].get_asset_materialization_events()
                if m.asset_key.to_user_string() == "reports/study_report").materialization.metadata
    assert meta["institution_pages"].value == len(ranked)
    # (The run named its warehouse through the session's link, see conftest.py: compare within the folder.)
    assert Path(meta["institutions_index"].value).relative_to(WAREHOUSE_LINK) == (folder / "index.html").relative_to(
        demo_run["settings"].warehouse_path.parent)


def test_the_most_exposed_institutions_pages_hold_the_marts_figures(con, folder):
    for (institution_id,) in con.execute("select institution_id from marts.institution_profiles "
                                         "order by rank_by_defence_linked_works limit 3").fetchall():
        check_page_against_marts(con, folder, institution_id)


def test_a_page_with_one_year_or_one_partner_draws_no_chart_for_it_and_its_tables_hold_the_figures(con, folder):
    """Most institutions of a full snapshot have one or two joint works: their pages need no chart."""
    counts = rows(con, """select p.institution_id,
                                 (select count(*) from marts.agg_institution_years y
                                  where y.institution_id = p.institution_id and y.eu_cn_works > 0) as years,
                                 p.chinese_partners
                          from marts.institution_profiles p order by p.rank_by_defence_linked_works""")
    one_year = next(c["institution_id"] for c in counts if c["years"] == 1)
    one_partner = next(c["institution_id"] for c in counts if c["chinese_partners"] == 1)
    many = next(c["institution_id"] for c in counts if c["years"] >= 2 and c["chinese_partners"] >= 2)
    assert "inst-years" not in charts(check_page_against_marts(con, folder, one_year))
    page = check_page_against_marts(con, folder, one_partner)
    assert "inst-partners" not in charts(page) and "The table lists it with the reasons for the tags." in page
    assert set(charts(check_page_against_marts(con, folder, many))) == {"inst-years", "inst-partners"}


def test_a_page_whose_partner_is_a_lab_known_only_through_lineage(published, tmp_path):
    """The demo's labs without a ROR id of their own are tagged only through their OpenAlex lineage. The small
    test run has them on works, but on no Europe–China one, so in a copy of its warehouse one partner of the most
    exposed institution becomes such a lab, with the lab's tags as the warehouse worked them out
    (int_institution_risk_entity_chosen); its page, written as `make profile` writes it, gives the lineage path."""
    copy = tmp_path / published.name
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as c:
        lab = rows(c, """select s.institution_id, s.institution_name, s.risk_level, chosen.*
                         from intermediate.int_institutions_risk_summarised as s
                         inner join intermediate.int_institution_risk_entity_chosen as chosen using (institution_id)
                         where s.ror_id is null and s.is_chinese and chosen.risk_match_path = 'lineage_ancestor'
                         order by s.institution_id limit 1""")
        assert lab, "the demo plants labs known only through their OpenAlex lineage"
        lab = lab[0]
        institution_id, partner_id = c.execute(
            "select institution_id, partner_institution_id from marts.institution_partners order by "
            "(select rank_by_defence_linked_works from marts.institution_profiles as p "
            " where p.institution_id = institution_partners.institution_id), eu_cn_works desc, partner_institution_id "
            "limit 1").fetchone()
        c.execute("""update marts.institution_partners as p
                     set partner_institution_id = ?, partner_name = ?, partner_ror = null, partner_risk_level = ?,
                         partner_risk_entity_name = chosen.risk_entity_name, partner_risk_match_path = 'lineage_ancestor',
                         partner_risk_entities = chosen.risk_entities
                     from intermediate.int_institution_risk_entity_chosen as chosen
                     where chosen.institution_id = ? and p.institution_id = ? and p.partner_institution_id = ?""",
                  [lab["institution_id"], lab["institution_name"], lab["risk_level"], lab["institution_id"],
                   institution_id, partner_id])
    with duckdb.connect(str(copy), read_only=True) as c:
        page_path = write_institution_page(c, copy, institution_id, tmp_path / "report")
        assert page_path.parent == tmp_path / "report" / "institutions"
        page = check_page_against_marts(c, page_path.parent, institution_id)
    cells = table_rows(page, "partner")[lab["institution_id"]]
    assert cells[0] == lab["institution_name"] and cells[1] == "none"
    ancestor = next(e for e in lab["risk_entities"] if e["match_path"] == "lineage_ancestor")
    assert (f"{ancestor['entity_name']}, through an ancestor in its OpenAlex lineage "
            f"({ancestor['matched_institution_id']}, ROR {ancestor['matched_ror_id']})") in cells[5]


def test_pages_drawn_in_processes_equal_pages_drawn_here(published, monkeypatch):
    """Many pages are drawn in a process per core; each comes out as it does drawn in the run's own process."""
    from dagster_project.report import institutions
    from dagster_project.report.institution_data import read_institutions
    from dagster_project.report.render import render_page

    with duckdb.connect(str(published), read_only=True) as c:
        chosen, levels = read_institutions(c)
    chosen = chosen[:4]
    prints = {i.id: f"print-{i.id}" for i in chosen}
    common = {"generated_at": "now", "warehouse_path": str(published), "dataset_label": "demo", "is_synthetic": True}
    here = [render_page(p, common) for p in institutions.institution_pages(chosen, levels, prints)]
    monkeypatch.setattr(institutions, "PAGES_PER_PROCESS", 2)  # 4 pages: two processes
    pooled = [render_page(p, common) for p in institutions.institution_pages(chosen, levels, prints)]
    assert pooled == here and len(set(here)) == 4


def test_pages_are_named_by_ror_id_else_by_openalex_id():
    with duckdb.connect() as c:
        c.execute("create schema marts")
        c.execute("create table marts.institution_profiles as select * from (values ('I1', '02kkvpp62'), "
                  "('I2', null), ('I3', '05twya590'), ('I4', '05twya590')) as t(institution_id, institution_ror)")
        assert page_names(c) == {"I1": "02kkvpp62.html", "I2": "I2.html", "I3": "I3.html", "I4": "I4.html"}


def test_an_institution_page_lays_out_in_a_browser_without_cut_labels(con, folder, tmp_path):
    p = rows(con, "select institution_id, institution_ror from marts.institution_profiles "
                  "order by rank_by_defence_linked_works limit 1")[0]
    layout = browser_layout(page_file(folder, p).read_text(encoding="utf-8"), tmp_path)
    assert {c["id"] for c in layout["charts"]} == {"inst-years", "inst-partners"}
    assert layout_problems(layout) == []
    cells = {c["text"] for c in layout["cells"]}
    for (name,) in con.execute("select partner_name from marts.institution_partners where institution_id = ?",
                               [p["institution_id"]]).fetchall():
        assert name in cells, name
    (tmp_path / "index").mkdir()
    index = browser_layout((folder / "index.html").read_text(encoding="utf-8"), tmp_path / "index")
    assert layout_problems(index) == []


INDEX_PROBE = """<script>
// Sort by Europe–China works (descending), then filter: the order and the rows left, as a reader would see them.
const ids = () => Array.from(document.querySelectorAll("#institutions tbody tr")).filter(r => !r.hidden)
  .map(r => r.dataset.institution);
document.querySelector("#institutions th button[data-key='6']").click();
const sorted = ids();
const box = document.getElementById("filter"); box.value = "__QUERY__";
box.dispatchEvent(new Event("input"));
const pre = document.createElement("pre"); pre.id = "probe";
pre.textContent = JSON.stringify({sorted, filtered: ids(), shown: document.getElementById("shown").textContent});
document.body.appendChild(pre);
</script>"""


def test_the_index_sorts_and_searches_offline_in_a_browser(con, folder, tmp_path):
    index = (folder / "index.html").read_text(encoding="utf-8")
    for fetching in ("<link", "<img", "<iframe", "src=", "@import", "http://", "https://"):
        assert fetching not in index, fetching
    query = con.execute("select lower(country_code) from marts.institution_profiles group by 1 "
                        "order by count(*) desc limit 1").fetchone()[0]
    probe = tmp_path / "index.html"
    probe.write_text(index.replace("</body>", INDEX_PROBE.replace("__QUERY__", query) + "</body>"), encoding="utf-8")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "the browser check needs Chromium: apt-get install -y chromium"
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    seen = json.loads(html.unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.DOTALL).group(1)))
    works = dict(con.execute("select institution_id, eu_cn_works from marts.institution_profiles").fetchall())
    assert sorted(seen["sorted"]) == sorted(works)
    assert [works[i] for i in seen["sorted"]] == sorted(works.values(), reverse=True)
    searched = dict(con.execute("select institution_id, lower(concat_ws(' ', institution_name, country_code, "
                                "coalesce(institution_ror, ''), institution_id)) from marts.institution_profiles").fetchall())
    expected = [i for i in seen["sorted"] if query in searched[i]]
    assert 0 < len(expected) < len(works) and seen["filtered"] == expected
    assert seen["shown"] == f"{len(seen['filtered'])} shown"


def test_a_page_is_drawn_again_only_when_its_facts_change(published, tmp_path):
    shutil.copy(published, tmp_path / published.name)
    shutil.copytree(published.parent / "parquet", tmp_path / "parquet")
    copy, folder = tmp_path / published.name, tmp_path / "report" / "institutions"
    with duckdb.connect(str(copy)) as c:
        keep_top_institutions(c, 4)
    first = build_report(copy)
    assert first["institution_pages_drawn"] == first["institution_pages"] > 1
    drawn = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.html")}
    assert build_report(copy)["institution_pages_drawn"] == 0
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.html") if p.name != "index.html"} == \
        {n: t for n, t in drawn.items() if n != "index.html"}
    assert build_report(copy, redraw_all=True)["institution_pages_drawn"] == first["institution_pages"]

    with duckdb.connect(str(copy)) as c:
        renamed, gone = [r[0] for r in c.execute("select institution_id from marts.institution_profiles "
                                                   "order by rank_by_defence_linked_works limit 2").fetchall()]
        c.execute("update marts.institution_partners set partner_name = partner_name || ' (renamed)' "
                  "where institution_id = ?", [renamed])
        for mart in ("institution_profiles", "institution_partners", "agg_institution_years",
                     "fct_institution_eu_cn_works"):
            c.execute(f"delete from marts.{mart} where institution_id = ?", [gone])
        pages = page_names(c)
    third = build_report(copy)
    assert third["institution_pages_drawn"] == 1 and third["stale_pages_removed"] == 1
    assert "(renamed)</td>" in (folder / pages[renamed]).read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(["index.html", *pages.values()])
    assert f'data-institution="{gone}"' not in (folder / "index.html").read_text(encoding="utf-8")

    with duckdb.connect(str(copy)) as c:  # marts of different builds: one sentence naming the odd row
        c.execute("insert into marts.agg_institution_years by name select 'I0' as institution_id, 2020 as publication_year")
    with pytest.raises(ReportInputError, match="marts.agg_institution_years has institution I0, which "
                                               "marts.institution_profiles lacks"):
        build_report(copy)


def test_the_index_ranks_shares_only_above_the_minimum_and_sorts_the_others_last(con, folder):
    """A share of 1 of 1 would top a ranking by share: below the dbt var's minimum of AI works a share is marked and
    sorts last; the mart's share rank agrees with a ranking worked out here."""
    minimum = int(dbt_vars()["share_ranking_min_works"])
    profiles = rows(con, "select institution_id, ai_works, eu_cn_works, rank_by_share_of_ai_works_with_cn "
                         "from marts.institution_profiles")
    index = (folder / "index.html").read_text(encoding="utf-8")
    cells = dict(re.findall(r'<tr data-institution="(\w+)".*?(<td class="n" data-share-ranked=[^>]*>[^<]*</td>)',
                            index, flags=re.DOTALL))
    shares = {p["institution_id"]: p["eu_cn_works"] / p["ai_works"] for p in profiles if p["ai_works"] >= minimum}
    assert shares and len(shares) < len(profiles)
    for p in profiles:
        cell = cells[p["institution_id"]]
        if p["institution_id"] in shares:
            share = shares[p["institution_id"]]
            assert p["rank_by_share_of_ai_works_with_cn"] == 1 + sum(v > share for v in shares.values())
            assert 'data-share-ranked="true"' in cell and abs(float(re.search(r'data-sort="([^"]+)"', cell)[1]) - share) < 1e-9
            assert not cell.endswith("*</td>")
        else:
            assert p["rank_by_share_of_ai_works_with_cn"] is None
            assert 'data-share-ranked="false" data-sort="-1"' in cell and cell.endswith("*</td>")
    assert f"at least {minimum} AI works" in index


def _headings(page: str) -> list[str]:
    """What a page names its figures with: column headings, tile labels, chart labels and legends."""
    found = [text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", page, flags=re.DOTALL)]
    found += [text(c) for c in re.findall(r'<div class="k">(.*?)</div>', page, flags=re.DOTALL)]
    for svg in charts(page).values():
        found += [group_text(svg, g.get("id")) for g in svg.iter("{http://www.w3.org/2000/svg}g")
                  if re.search(r"-(label|legend)-\d+$", g.get("id") or "")]
    return found


def test_one_wording_for_the_tag_and_the_level_and_counts_and_years_read_as_words(con, folder):
    """A heading that counts works or partners with a defence-linked partner says "(PLA included)"; a risk level
    says "level". No "1 works", no "2021–2021"."""
    pages = [folder / "index.html", folder.parent / "index.html", *sorted(folder.glob("*.html"))[:40]]
    for path in pages:
        page = path.read_text(encoding="utf-8")
        for heading in _headings(page):
            if "defence-linked" in heading:
                assert "(PLA included)" in heading or "defence-linked level" in heading, (path.name, heading)
        plain = text(page)
        assert not re.search(r"\b(\d{4})–\1\b", plain), path.name
        assert not re.search(r'<div class="v">1</div>\s*<div class="k">Europe–China AI works', page), path.name
    one_year = rows(con, "select * from marts.institution_profiles where first_year = last_year limit 1")[0]
    page = page_file(folder, one_year).read_text(encoding="utf-8")
    assert f"Europe–China AI {'work' if one_year['eu_cn_works'] == 1 else 'works'}, {one_year['first_year']}</div>" in page
