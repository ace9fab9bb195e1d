"""The study report opens the works behind its figures: a tile's link leads to a page listing exactly the figure's
works (checked against the works counted here from the demo snapshot's records, and against the tile's value) and
to the same list as CSV; the index of the figures links every headline count of works the warehouse holds, and names
each share's parts."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import duckdb
import pytest

from tests.test_example_query_values import SPAN, works  # noqa: F401 (the records' works, a fixture)


@pytest.fixture(scope="module")
def report(demo_run) -> Path:
    assert demo_run["result"].success, "the demo run failed"
    return demo_run["settings"].warehouse_path.parent / "report"


def _tile(page: str, metric: str) -> tuple[str, str, str]:
    """A tile's printed value and the addresses of its works' page and CSV."""
    tile = re.search(rf'<div class="tile" data-metric="{metric}"[^>]*>\s*<div class="v">([^<]+)</div>(.*?)</div>\s*'
                     r'(?=<div class="tile"|</div>)', page, flags=re.DOTALL)
    links = re.search(r'<a class="works" href="([^"]+)">[^<]*</a> · <a href="([^"]+)" download>', tile.group(2))
    return tile.group(1), links.group(1), links.group(2)


def _listed(page: str) -> list[tuple[int, str]]:
    rows = re.findall(r'<tr data-work="(W\d+)"><td>W\d+</td><td class="n">(\d+)</td>', page)
    return [(int(year), work) for work, year in rows]


@pytest.mark.parametrize(("metric", "tag"), [("eu_cn_works_with_pla", "pla"), ("eu_cn_works", None)])
def test_a_tile_s_link_opens_exactly_its_figure_s_works(report, works, metric, tag):  # noqa: F811
    want = sorted((int(w["year"]), w["id"]) for w in works if tag is None or tag in w["tags"])
    value, href, csv_href = _tile((report / "index.html").read_text(encoding="utf-8"), metric)
    assert int(value.replace(",", "")) == len(want)
    page = (report / href).read_text(encoding="utf-8")
    assert _listed(page) == want
    assert html.unescape(re.search(r'<span class="figure-value">([^<]+)</span>', page).group(1)) == value
    with (report / csv_href).open(newline="", encoding="utf-8") as f:
        assert sorted((int(r["publication_year"]), r["work_id"]) for r in csv.DictReader(f)) == want


def test_the_index_links_every_count_of_works_the_warehouse_holds_and_names_each_share_s_parts(report, demo_run):
    index = (report / "figures" / "index.html").read_text(encoding="utf-8")
    with duckdb.connect(str(demo_run["settings"].warehouse_path), read_only=True) as con:
        # Written separately: the headline counts of works that are not AI output counted by OpenAlex's group_by.
        counts = con.execute("select metric, scope, period, value::bigint from marts.headline_figures "
                             "where unit = 'works' and denominator_source = 'works' order by all").fetchall()
        shares = con.execute("select metric, scope, period from marts.headline_figures where unit = 'share'").fetchall()
    rows = re.findall(r'<tr data-metric="(\w+)" data-scope="([\w-]+)" data-period="([\w-]+)"><td><code>.*?</code></td>\s*'
                      r'<td>[^<]*</td><td>[^<]*</td><td class="n">([\d,]+)</td>\s*<td><a href="([^"]+)">page</a>',
                      section(index, "counts"), flags=re.DOTALL)
    assert sorted((m, s, p, int(v.replace(",", ""))) for m, s, p, v, _ in rows) == counts
    for m, s, p, v, href in rows[:40]:
        assert len(_listed((report / "figures" / href).read_text(encoding="utf-8"))) == int(v.replace(",", "")), (m, s, p)
    parts = re.findall(r'<tr data-metric="(\w+)" data-scope="([\w-]+)" data-period="([\w-]+)">.*?numerator: .*?'
                       r'denominator: ', section(index, "shares"), flags=re.DOTALL)
    assert sorted(parts) == sorted(shares)


def section(page: str, section_id: str) -> str:
    return re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', page, flags=re.DOTALL).group(1)
