"""The works behind the study's figures: a page per headline figure that counts works (report/figures/<figure>.html),
listing its works from marts.figure_works (id, year, title, DOI, why it counts), with the same list as CSV beside it
(report/figures/<figure>.csv), and their index (report/figures/index.html); the study page's tiles link them.

A figure of more than MAX_WORKS_LISTED works (AI output at the real scale runs to millions) gets no page: the index
gives its count and the `make works` command that prints its works. Shares have no works of their own: the index
names each share's numerator and denominator (marts.figure_parts), linked to their pages. Every list is the mart's;
nothing is recomputed here.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .data import require
from .render import Page

FOLDER = "figures"
INDEX = f"{FOLDER}/index.html"
MAX_WORKS_LISTED = 20_000  # a page and a CSV per figure up to this many works
COLUMNS = ("metric", "scope", "period", "work_id", "publication_year", "title", "doi", "reason", "risk_level",
           "risk_reasons_text", "funder_names")
CSV_COLUMNS = COLUMNS[3:]
DOI_ORG = "https://doi.org/"


@dataclass
class FigureWorks:
    """One headline figure that counts works, and its works (none read when it has more than MAX_WORKS_LISTED)."""

    metric: str
    scope: str
    period: str
    value: float | None
    works: list[dict] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.metric, self.scope, self.period

    @property
    def name(self) -> str:
        return re.sub(r"[^\w-]", "_", f"{self.metric}--{self.scope}--{self.period}")

    @property
    def listed(self) -> bool:
        return self.value is not None and self.value <= MAX_WORKS_LISTED

    @property
    def page(self) -> str | None:
        return f"{FOLDER}/{self.name}.html" if self.listed else None

    @property
    def csv(self) -> str | None:
        return f"{FOLDER}/{self.name}.csv" if self.listed else None

    @property
    def command(self) -> str:
        return f"make works FIGURE={self.metric} SCOPE={self.scope} PERIOD={self.period}"


def doi_link(doi: str | None) -> str | None:
    """The DOI's address: a DOI (10.…) at doi.org, an https address as it is; nothing else is linked."""
    if not doi:
        return None
    if doi.startswith("10."):
        return DOI_ORG + doi
    return doi if doi.startswith(("https://", "http://")) else None


def read_figure_works(con) -> tuple[list[FigureWorks], list[dict]]:
    """The headline figures held by works, with their works up to MAX_WORKS_LISTED each, and the shares' parts."""
    require(con, "marts.figure_works", COLUMNS)
    require(con, "marts.figure_parts", ("metric", "scope", "period", "part", "part_metric", "part_scope", "part_period",
                                        "part_value", "is_in_figure_works"))
    # A figure of works none of which are in the warehouse (AI output from OpenAlex's group_by counts) gets no page.
    figures = {r[:3]: FigureWorks(*r[:3], None if r[3] is None else float(r[3])) for r in con.execute(
        "select h.metric, h.scope, h.period, h.value from marts.headline_figures as h "
        "where h.unit = 'works' and (h.value = 0 or exists (select 1 from marts.figure_works as w "
        "where w.metric = h.metric and w.scope = h.scope and w.period = h.period)) "
        "order by h.metric, h.scope, h.period").fetchall()}
    cursor = con.execute(
        f"select w.{', w.'.join(COLUMNS)} from marts.figure_works as w "
        "inner join marts.headline_figures as h on w.metric = h.metric and w.scope = h.scope and w.period = h.period "
        "where h.unit = 'works' and h.value <= ? order by w.metric, w.scope, w.period, w.publication_year, w.work_id",
        [MAX_WORKS_LISTED])
    for row in cursor.fetchall():
        work = dict(zip(COLUMNS, row, strict=True))
        work["doi_url"] = doi_link(work["doi"])
        figures[row[:3]].works.append(work)
    parts = [dict(zip(("metric", "scope", "period", "value", "part", "part_metric", "part_scope", "part_period",
                       "part_value", "is_in_figure_works"), r, strict=True)) for r in con.execute(
        "select metric, scope, period, value, part, part_metric, part_scope, part_period, part_value, "
        "is_in_figure_works from marts.figure_parts order by metric, scope, period, part desc").fetchall()]
    return list(figures.values()), parts


def link_tiles(tiles: list[dict], figures: list[FigureWorks]) -> None:
    """Each tile of a figure with a page gets its page and CSV (`works`); the others None."""
    by_key = {f.key: f for f in figures if f.listed}
    for tile in tiles:
        a = tile["attrs"]
        tile["works"] = by_key.get((a["data-metric"], a["data-scope"], a["data-period"]))


def _shares(parts: list[dict], figures: list[FigureWorks]) -> list[dict]:
    """Each share with its numerator and denominator, each linked to its page when it has one."""
    pages = {f.key: f.page for f in figures}
    shares: dict[tuple, dict] = {}
    for p in parts:
        share = shares.setdefault((p["metric"], p["scope"], p["period"]), {
            "metric": p["metric"], "scope": p["scope"], "period": p["period"], "value": p["value"], "parts": []})
        key = (p["part_metric"], p["part_scope"], p["part_period"])
        share["parts"].append({**p, "page": pages.get(key), "in_warehouse": p["is_in_figure_works"],
                               "command": f"make works FIGURE={key[0]} SCOPE={key[1]} PERIOD={key[2]}"})
    return list(shares.values())


def figure_pages(figures: list[FigureWorks], parts: list[dict]) -> list[Page]:
    """A page per listed figure, and the index of every figure held by works and every share's parts."""
    pages = [Page(f.page, "figure_works.html", {"f": f, "csv_name": Path(f.csv).name}) for f in figures if f.listed]
    pages.append(Page(INDEX, "figures_index.html", {"figures": figures, "shares": _shares(parts, figures),
                                                    "max_listed": MAX_WORKS_LISTED}))
    return pages


def write_figure_csvs(figures: list[FigureWorks], out_dir: Path) -> int:
    """The works of each listed figure as CSV beside its page; files of figures no longer listed are removed.
    Returns how many were written."""
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    keep = {"index.html"}
    for f in figures:
        if not f.listed:
            continue
        keep |= {Path(f.page).name, Path(f.csv).name}
        target = out_dir / f.csv
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)
            for w in f.works:
                writer.writerow([*(w[c] for c in CSV_COLUMNS[:-1]), "; ".join(w["funder_names"] or [])])
        os.replace(tmp, target)
    for stale in folder.iterdir():
        if stale.suffix in (".html", ".csv") and stale.name not in keep:
            stale.unlink()
    return sum(1 for f in figures if f.listed)
