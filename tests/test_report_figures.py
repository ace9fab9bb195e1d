"""Every figure the study report shows, read back from the page by the label printed beside it and compared with
the demo's planted truth (tests/planted: worked out from the generated records, never from the warehouse).

The labels are matched as a reader sees them (a tile's caption, a chart's category label or legend entry, a table's
first cell), never by the page's data-* attributes: a figure printed under another figure's label fails here.
Each table below names, label by label, the planted figure the report must show there.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

from dagster_project.demo_data.generator import PERIOD

SPAN = f"{PERIOD[0]}-{PERIOD[1]}"
YEARS = [str(y) for y in range(PERIOD[0], PERIOD[1] + 1)]
SVG = "{http://www.w3.org/2000/svg}"

# A tile's caption (without its ", <period>") -> the planted figure it shows.
TILES = {
    "Europe–China AI works": "eu_cn_works|EUROPE",
    "of them with a defence-linked Chinese partner (PLA included)": "eu_cn_share_defence_linked|EUROPE",
    "of them with a PLA partner": "eu_cn_works_with_pla|EUROPE",
    "UK share of Europe–China AI works": "country_share_of_eu_cn_works|GB",
}
# A bar chart's category label -> the planted figure of its bar (the span's).
RISK_TAG_BARS = {
    "All Europe–China AI works": "eu_cn_works|EUROPE",
    "with a defence-linked partner (PLA included)": "eu_cn_works_defence_linked|EUROPE",
    "with a PLA partner": "eu_cn_works_with_pla|EUROPE",
    "with a security-linked partner": "eu_cn_works_security_linked|EUROPE",
}
FUNDING_BARS = {
    "With a Chinese funder (share of those disclosing)": "share_china_funded_of_disclosed|EUROPE",
    "With a Chinese government funder (share of those disclosing)": "share_china_gov_funded_of_disclosed|EUROPE",
}
DISCLOSING_BAR = "Disclosing a funder (share of all Europe–China AI works)"
# A column chart's legend entry -> the planted figure of its columns, one a year.
SHARE_SERIES = {
    "Europe: share of its AI works with China": "europe_share_with_cn|EUROPE",
    "China: share of its AI works with Europe": "cn_share_with_europe|CN",
}
GROWTH_SERIES = {  # an index of the first year's count (= 100)
    "Europe: AI output": "europe_ai_works|EUROPE",
    "China: AI output": "cn_ai_works|CN",
    "Europe–China AI works": "eu_cn_works|EUROPE",
}
# A comparison table's first cell (without its " (<period>)") -> the planted figure; "Of them, on affiliation text
# alone" is the part of the row above it that rests on text alone.
TABLE_ROWS = {
    "Europe's AI works with China, share": "europe_share_with_cn|EUROPE",
    "China's AI works with Europe, share": "cn_share_with_europe|CN",
    "Europe–China AI works": "eu_cn_works|EUROPE",
    "UK AI works with China, share": "country_share_with_cn|GB",
    "UK share of Europe–China AI works": "country_share_of_eu_cn_works|GB",
    "All Europe–China AI works": "eu_cn_works|EUROPE",
    "With a defence-linked partner (PLA included)": "eu_cn_works_defence_linked|EUROPE",
    "With a PLA partner": "eu_cn_works_with_pla|EUROPE",
    "Share with a defence-linked partner (PLA included)": "eu_cn_share_defence_linked|EUROPE",
    "German–Chinese top links with TU Munich": "top10_links_involving_tum|DE-CN",
    "With a Chinese funder, share of those disclosing": "share_china_funded_of_disclosed|EUROPE",
    "With a Chinese government funder, share of those disclosing": "share_china_gov_funded_of_disclosed|EUROPE",
    "Funded by the National Defence Basic Scientific Research Programme": "eu_cn_works_defence_programme_funded|EUROPE",
}
TEXT_ONLY_ROW = "Of them, on affiliation text alone"
TEXT_ONLY = {"eu_cn_works_with_pla|EUROPE": "eu_cn_works_with_pla_by_text_only|EUROPE",
             "eu_cn_works_defence_linked|EUROPE": "eu_cn_works_defence_linked_by_text_only|EUROPE"}


@pytest.fixture(scope="module")
def page(demo_run) -> str:
    assert demo_run["result"].success, "the demo run failed"
    return (demo_run["settings"].warehouse_path.parent / "report" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def planted(demo_run) -> dict:
    from tests.planted import truth_of

    return truth_of(demo_run["settings"].raw_dir / "demo" / "snapshot")["figures"]


def number(printed: str) -> float:
    printed = printed.strip()
    return float(printed[:-1].replace(",", "")) / 100 if printed.endswith("%") else float(printed.replace(",", ""))


def assert_shows(printed: str, value: float | None, what: str) -> None:
    """A figure as printed (a share with one decimal of a percent, a count whole) against its planted value."""
    if value is None:
        assert printed.strip() in ("n/a", "—"), f"{what}: page {printed}, planted none"
        return
    tolerance = 0.0005 if printed.strip().endswith("%") else 0.5
    assert abs(number(printed) - value) <= tolerance, f"{what}: the page shows {printed}, the planted figure is {value}"


def _text(element) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", element).split()))


def chart(page: str, chart_id: str) -> dict[str, str]:
    """A chart's texts by group id (`<chart>-label-<i>`, `-value-<i>`, `-legend-<i>`), wrapped lines joined."""
    svg = next(s for s in re.findall(r"<svg .*?</svg>", page, flags=re.DOTALL) if f'id="{chart_id}"' in s[:300])
    texts = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        gid = g.get("id") or ""
        if gid.startswith(f"{chart_id}-") and any(f"-{kind}-" in gid for kind in ("label", "value", "legend")):
            texts[gid] = " ".join("".join(t.itertext()).strip() for t in g.iter(f"{SVG}text"))
    return texts


def bars(page: str, chart_id: str) -> dict[str, str]:
    """A bar chart's printed value under each category label."""
    texts = chart(page, chart_id)
    n = sum(1 for gid in texts if gid.startswith(f"{chart_id}-label-"))
    assert n
    assert n == sum(1 for gid in texts if gid.startswith(f"{chart_id}-value-"))
    return {texts[f"{chart_id}-label-{i}"]: texts[f"{chart_id}-value-{i}"] for i in range(n)}


def columns(page: str, chart_id: str) -> dict[str, list[str]]:
    """A column chart's printed values, one a year, under each legend entry (columns are drawn series by series)."""
    texts = chart(page, chart_id)
    legend = [texts[f"{chart_id}-legend-{j}"] for j in range(len(texts)) if f"{chart_id}-legend-{j}" in texts]
    return {name: [texts[f"{chart_id}-value-{j * len(YEARS) + i}"] for i in range(len(YEARS))]
            for j, name in enumerate(legend) if name != "MERICS (2023)"}


def section(page: str, section_id: str) -> str:
    return re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', page, flags=re.DOTALL).group(1)


def table_rows(body: str, caption: str) -> list[list[str]]:
    tables = [t for t in re.findall(r"<table>.*?</table>", body, flags=re.DOTALL) if f"<caption>{caption}</caption>" in t]
    return [[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)]
            for t in tables for row in re.findall(r"<tr[^>]*>(.*?)</tr>", t.split("<tbody>")[1], flags=re.DOTALL)]


def test_each_tile_shows_the_planted_figure_of_its_caption(page, planted):
    tiles = re.findall(r'<div class="tile"[^>]*>\s*<div class="v">([^<]+)</div>\s*<div class="k">([^<]+)</div>', page)
    shown = {html.unescape(caption).removesuffix(f", {SPAN}"): value for value, caption in tiles}
    assert set(shown) == set(TILES)
    for caption, key in TILES.items():
        assert_shows(shown[caption], planted[f"{key}|{SPAN}"], f"tile {caption!r}")


def test_each_bar_of_the_risk_and_funding_charts_shows_the_planted_figure_of_its_label(page, planted):
    for chart_id, expected in (("risk-tags", RISK_TAG_BARS), ("funding", FUNDING_BARS)):
        shown = bars(page, chart_id)
        assert set(shown) - {DISCLOSING_BAR} == set(expected), chart_id
        for label, key in expected.items():
            assert_shows(shown[label], planted[f"{key}|{SPAN}"], f"{chart_id} bar {label!r}")
    disclosed, works = (planted[f"{m}|EUROPE|{SPAN}"] for m in ("eu_cn_works_funding_disclosed", "eu_cn_works"))
    assert_shows(bars(page, "funding")[DISCLOSING_BAR], disclosed / works, DISCLOSING_BAR)


def test_the_risk_levels_chart_splits_the_works_as_planted(page, planted):
    """A work's level is its highest tag: the PLA level is the works with a PLA partner, the defence-linked level
    those with a defence-linked partner but no PLA one, and the levels add up to all works."""
    # A level may be named "PLA" or "PLA level" (where counts by tag stand beside it).
    shown = {label.removesuffix(" level"): number(value) for label, value in bars(page, "risk-levels").items()}
    assert list(shown)[:3] == ["PLA", "defence-linked", "security-linked"]
    pla, defence = (planted[f"{m}|EUROPE|{SPAN}"] for m in ("eu_cn_works_with_pla", "eu_cn_works_defence_linked"))
    assert shown["PLA"] == pla
    assert shown["defence-linked"] == defence - pla
    assert sum(shown.values()) == planted[f"eu_cn_works|EUROPE|{SPAN}"]
    by_year = {row[0]: row[1:] for row in table_rows(section(page, "risk"), "Europe–China AI works by year and risk level")}
    for period in [*YEARS, SPAN]:
        *levels, total = (number(c) for c in by_year[period])
        assert total == sum(levels) == planted[f"eu_cn_works|EUROPE|{period}"], period
    assert [number(c) for c in by_year[SPAN][:-1]] == list(shown.values())


def test_the_countries_chart_ranks_the_planted_shares_under_each_country(page, planted):
    shown = bars(page, "countries")
    planted_shares = sorted(((-v, k.split("|")[1]) for k, v in planted.items()
                             if k.startswith("country_share_of_eu_cn_works|") and k.endswith(SPAN) and v is not None))
    assert [re.search(r"\((\w\w)\)$", label).group(1) for label in shown] == [c for _, c in planted_shares][:len(shown)]
    for label, value in shown.items():
        code = re.search(r"\((\w\w)\)$", label).group(1)
        assert_shows(value, planted[f"country_share_of_eu_cn_works|{code}|{SPAN}"], f"countries bar {label!r}")


def test_each_column_of_the_yearly_charts_shows_the_planted_figure_of_its_series(page, planted):
    shares = columns(page, "shares")
    assert set(shares) == set(SHARE_SERIES)
    for name, key in SHARE_SERIES.items():
        for year, printed in zip(YEARS, shares[name], strict=True):
            assert_shows(printed, planted[f"{key}|{year}"], f"shares {name!r} {year}")
    uk = columns(page, "uk")
    assert [re.search(r"\((\w\w)\)$", name).group(1) for name in uk] == ["GB", "DE", "FR"]
    for name, printed_years in uk.items():
        code = re.search(r"\((\w\w)\)$", name).group(1)
        for year, printed in zip(YEARS, printed_years, strict=True):
            assert_shows(printed, planted[f"country_share_with_cn|{code}|{year}"], f"uk {name!r} {year}")
    growth = columns(page, "growth")
    assert set(growth) == set(GROWTH_SERIES)
    table = {row[0]: row[1:] for row in table_rows(section(page, "growth"), "The same indexes, with the works counted")}
    for name, key in GROWTH_SERIES.items():
        first = planted[f"{key}|{YEARS[0]}"]
        for year, printed, cell in zip(YEARS, growth[name], table[name], strict=True):
            count = planted[f"{key}|{year}"]
            assert_shows(printed, 100 * count / first, f"growth {name!r} {year}")
            assert cell == f"{printed} ({count:,})", f"growth table {name!r} {year}"


def test_each_comparison_row_shows_the_planted_figure_of_its_label(page, planted):
    rows = [row for s in ("shares", "uk", "countries", "risk", "links", "funding")
            for row in table_rows(section(page, s), "This warehouse beside MERICS")]
    above, seen = None, set()
    for name, value, *_ in rows:
        label, period = re.fullmatch(r"(.*) \(([\d-]+)\)", name).groups()
        key = TEXT_ONLY[above] if label == TEXT_ONLY_ROW else TABLE_ROWS[label]
        assert_shows(value, planted[f"{key}|{period}"], f"table row {name!r}")
        above = key
        seen.add(label)
    assert seen == set(TABLE_ROWS) | {TEXT_ONLY_ROW}
    # The demo's funding tells China-funded from Chinese-government-funded apart: a swap would show.
    funded, government = (planted[f"{k}|{SPAN}"] for k in (FUNDING_BARS[b] for b in FUNDING_BARS))
    assert abs(funded - government) > 0.05


def test_each_link_shows_the_planted_works_of_its_pair(page, demo_run):
    from dagster_project.demo_data.affiliations import short_id
    from dagster_project.demo_data.generator import Pool
    from tests.planted import truth_of

    names = {short_id(i["id"]): i["display_name"] for i in Pool.load().institutions()}
    profiles = truth_of(demo_run["settings"].raw_dir / "demo" / "snapshot")["institutions"]["institutions"]
    pairs = {(p["institution_name"], names[cn]): v["eu_cn_works"] for p in profiles.values()
             for cn, v in p["partners"].items()}
    body = section(page, "links")
    table = next(t for t in re.findall(r"<table>.*?</table>", body, flags=re.DOTALL) if "<th>European institution</th>" in t)
    rows = [[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>")[1], flags=re.DOTALL)]
    assert rows
    assert [number(r[5]) for r in rows] == sorted(pairs.values(), reverse=True)[:len(rows)]
    texts = chart(page, "links")
    for i, (_, eu, country, cn, _, works) in enumerate(rows):
        assert number(works) == pairs[(eu, cn)], f"link {eu} × {cn}"
        assert texts[f"links-value-{i}"] == works, f"links chart bar {i}"
        label = texts[f"links-label-{i}"]
        assert "…" in label or label == f"{eu} ({country}) × {cn}", label
