"""The study page: the figures of ReportData arranged as tiles, charts, tables and their definitions.

The terms are those of docs/definitions.md, one wording per idea, the same in the institution pages and `make
profile`: a count of works or partners with a tag is "defence-linked (PLA included)", as the marts' columns count
it; a work's *risk level*, the highest tag among its Chinese partners, is "defence-linked level" (TAG_NAMES,
RISK_LEVELS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup

from . import wording
from .charts import LEGEND_CHARS, Bar, Series, bar_chart, column_chart, fmt, shorten
from .data import ReportData, ReportInputError

BLUE, RED, PURPLE, GREY = "#1f5fa8", "#b8322a", "#6a3d9a", "#9aa3ad"
MERICS_REPORT = {  # the study the warehouse reproduces; [1] on every MERICS figure
    "text": 'Arcesati et al., "AI entanglements: Balancing risks and rewards of European-Chinese collaboration", '
            "MERICS, 2023-11-16",
    "url": "https://www.merics.org/en/report/"
           "ai-entanglements-balancing-risks-and-rewards-european-chinese-collaboration",
}


@dataclass(frozen=True)
class RiskLevel:
    label: str
    colour: str
    definition: str


# A work's (or a link's) risk level: the highest tag among its Chinese institutions, highest first. The levels that
# share a tag's name say "level": works with a defence-linked partner (PLA included) = PLA level + defence-linked level.
RISK_LEVELS = {
    "pla": RiskLevel("PLA level", "#7a0019",
                     "a People's Liberation Army institution: PLA academies, service universities, NUDT and the "
                     "Central Military Commission's universities, PLA medical and research units. As a work's "
                     "level: a PLA partner."),
    "defence_linked": RiskLevel("defence-linked level", "#c0392b",
                                "directly controlled by or closely tied to the military (MERICS' wording): the PLA, "
                                "the Seven Sons of National Defence and their units, the nuclear-weapons programme, "
                                "state defence agencies and defence-industry conglomerates. As a work's level: a "
                                "defence-linked partner but no PLA one."),
    "security_linked": RiskLevel("security-linked level", "#e08e0b",
                                 "public and state security (the Ministries of Public and of State Security) and the "
                                 "People's Armed Police. As a work's level: a security-linked partner, and none PLA "
                                 "or defence-linked."),
    "listed": RiskLevel("listed", "#d9b38c",
                        "on a risk list, no tag: the institution, or one above it in its OpenAlex lineage, is on one "
                        "of the study's risk lists (most often a civilian university on ASPI's China Defence "
                        "Universities Tracker) but is neither PLA, defence-linked nor security-linked."),
    "none": RiskLevel("none", "#b4bcc5", "no Chinese institution on any of the study's risk lists."),
}
# A tag's name where works or partners carrying it are counted (a work can carry several tags).
TAG_NAMES = {"pla": "PLA", "defence_linked": "defence-linked (PLA included)", "security_linked": "security-linked"}
# Works tagged on affiliation-text evidence alone (no Chinese institution of theirs carries the tag), by the
# headline figure they are part of.
TEXT_ONLY = {"eu_cn_works_with_pla": "eu_cn_works_with_pla_by_text_only",
             "eu_cn_works_defence_linked": "eu_cn_works_defence_linked_by_text_only"}
EUROPE_NAMES = {
    "europe_eu27_uk_efta": "EU27, the UK and EFTA (Norway, Switzerland, Iceland, Liechtenstein)",
    "europe_eu27_uk": "EU27 and the UK",
    "europe_eu27_uk_ch_no": "EU27, the UK, Switzerland and Norway",
}


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[dict]  # {"cells": [...], "attrs": {...}}; numeric cells are right-aligned from the second on
    numeric_from: int = 1
    numeric_to: int | None = None  # the first text column after the numeric ones, if any

    def is_numeric(self, column: int) -> bool:
        return column >= self.numeric_from and (self.numeric_to is None or column < self.numeric_to)


@dataclass
class Section:
    id: str
    title: str
    intro: Markup
    charts: list[Markup] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    terms: list[tuple[str, str]] = field(default_factory=list)  # (term, definition) shown under the chart


class Citations:
    """Numbered sources: the MERICS report is [1]; a figure reported in an article cites that article too."""

    def __init__(self) -> None:
        self.sources = [MERICS_REPORT]

    def cite(self, source: str | None) -> list[int]:
        numbers = [1]
        # "<the report's URL> ; reported by <article>": the report, and the article the figure was read in.
        primary, _, reporter = (source or "").partition(" ; reported by ")
        if reporter:
            source = reporter
        elif primary.split(" ")[0] == MERICS_REPORT["url"]:
            source = None
        if source:
            url = source.split(" ")[0] if source.startswith(("https://", "http://")) else ""
            entry = {"text": source[len(url):].strip(), "url": url}
            if entry not in self.sources:
                self.sources.append(entry)
            numbers.append(self.sources.index(entry) + 1)
        return numbers


def _on_scale(bars: list[Bar], factor: float = 3.0) -> tuple[list[Bar], bool]:
    """The bars with MERICS ticks only when they fit the data's scale (a small data set against MERICS' counts
    would squash every bar to nothing); and whether any tick was left to the comparison table."""
    top = max((b.value or 0 for b in bars), default=0)
    fits = all(b.merics is None or b.merics <= factor * top for b in bars)
    return (bars, False) if fits else ([Bar(b.label, b.value, b.colour) for b in bars], True)


def _comparison(data: ReportData, cite: Citations, name: str, metric: str, scope: str, period: str | None = None):
    f = data.figure(metric, scope, period)
    return {"cells": [f"{name} ({f.period})", fmt(f.value, f.unit),
                      fmt(f.merics_value, f.unit) if f.merics_value is not None else "—"],
            "cites": cite.cite(f.merics_source) if f.merics_value is not None else [],
            "attrs": {"data-metric": metric, "data-scope": scope, "data-period": f.period}}


def _comparison_table(rows: list[dict]) -> Table:
    return Table("This warehouse beside MERICS", ["figure", "this warehouse", "MERICS", "source"], rows)


def tiles(data: ReportData, cite: Citations) -> list[dict]:
    items = [("eu_cn_works", "EUROPE", "Europe–China AI works"),
             ("eu_cn_share_defence_linked", "EUROPE", "of them with a defence-linked Chinese partner (PLA included)"),
             ("eu_cn_works_with_pla", "EUROPE", "of them with a PLA partner"),
             ("country_share_of_eu_cn_works", "GB", "UK share of Europe–China AI works")]
    out = []
    for metric, scope, label in items:
        f = data.figure(metric, scope)
        out.append({"value": fmt(f.value, f.unit), "label": f"{label}, {f.period}",
                    "merics": fmt(f.merics_value, f.unit) if f.merics_value is not None else None,
                    "cites": cite.cite(f.merics_source) if f.merics_value is not None else [],
                    "attrs": {"data-metric": metric, "data-scope": scope, "data-period": f.period}})
    return out


def section_shares(data: ReportData, cite: Citations) -> Section:
    series = []
    for name, colour, metric, scope in (
            ("Europe: share of its AI works with China", BLUE, "europe_share_with_cn", "EUROPE"),
            ("China: share of its AI works with Europe", RED, "cn_share_with_europe", "CN")):
        figs = {y: data.figure(metric, scope, y) for y in data.years}
        series.append(Series(name, colour, {y: f.value for y, f in figs.items()},
                             {y: f.merics_value for y, f in figs.items() if f.merics_value is not None}))
    rows = [_comparison(data, cite, "Europe's AI works with China, share", "europe_share_with_cn", "EUROPE", y)
            for y in data.years if data.figure("europe_share_with_cn", "EUROPE", y).merics_value is not None]
    rows += [_comparison(data, cite, "China's AI works with Europe, share", "cn_share_with_europe", "CN", y)
             for y in data.years if data.figure("cn_share_with_europe", "CN", y).merics_value is not None]
    rows.append(_comparison(data, cite, "Europe–China AI works", "eu_cn_works", "EUROPE"))
    return Section(
        "shares", "Europe's and China's AI output co-authored with the other side, by year",
        Markup("Of each side's AI works in a year, the share written with at least one institution of the other "
               "side (<code>europe_share_with_cn</code>, <code>cn_share_with_europe</code>)."),
        [column_chart("shares", "Share of AI works co-authored with the other side, by year", data.years, series,
                      "share")],
        [_comparison_table(rows)])


def section_uk(data: ReportData, cite: Citations) -> Section:
    series = []
    for scope, colour in (("GB", PURPLE), ("DE", "#4f9bd9"), ("FR", "#8fb8de")):
        years = data.country_year.get(scope)
        if years is None:
            raise ReportInputError(f"marts.agg_country_year has no rows for scope {scope}, which the study report "
                                   "shows.")
        merics = {y: f.merics_value for y in data.years
                  if (f := data.figures.get(("country_share_with_cn", scope, y))) and f.merics_value is not None}
        name = data.country_names[scope]
        series.append(Series(f"{shorten(name, LEGEND_CHARS)} ({scope})", colour,
                             {y: years.get(y, {}).get("share_with_partner") for y in data.years}, merics,
                             full_name=f"{name} ({scope})"))
    rows = [_comparison(data, cite, "UK AI works with China, share", "country_share_with_cn", "GB", y)
            for y in data.years
            if (f := data.figures.get(("country_share_with_cn", "GB", y))) and f.merics_value is not None]
    return Section(
        "uk", "The UK's AI output co-authored with China, by year (Germany and France for scale)",
        Markup("Of a country's AI works in a year, the share with at least one Chinese institution "
               "(<code>agg_country_year.share_with_partner</code>). OpenAlex writes GB for the United Kingdom."),
        [column_chart("uk", "Share of a country's AI works co-authored with China, by year", data.years, series,
                      "share")],
        [_comparison_table(rows)] if rows else [])


def section_growth(data: ReportData, cite: Citations) -> Section:
    """Uneven partners: how fast Europe's AI output, China's, and the works they write together grew."""
    lines = (("Europe: AI output", BLUE, "EUROPE", "ai_works_index", "ai_works"),
             ("China: AI output", RED, "CN", "ai_works_index", "ai_works"),
             ("Europe–China AI works", PURPLE, "EUROPE", "partner_works_index", "partner_works"))
    series, rows = [], []
    for name, colour, scope, index, count in lines:
        years = data.country_year.get(scope)
        if years is None:
            raise ReportInputError(f"marts.agg_country_year has no rows for scope {scope}, which the study report "
                                   "shows.")
        series.append(Series(name, colour, {y: years.get(y, {}).get(index) for y in data.years}))
        rows.append({"cells": [name, *(f"{fmt(years.get(y, {}).get(index), 'index')} "
                                       f"({fmt(years.get(y, {}).get(count), 'works')})" for y in data.years)],
                     "attrs": {"data-scope": scope, "data-index": index}})
    first = data.years[0] if data.years else ""
    return Section(
        "growth", f"Uneven partners: growth since {first} ({first} = 100)",
        Markup("Each year's works as an index of the first study year's ({0} = 100): Europe's AI output, "
               "China's, and the AI works they write together (<code>agg_country_year.ai_works_index</code>, "
               "<code>partner_works_index</code>; every country's is in the mart). An index above the dashed line "
               "means growth since the first year.").format(first),
        [column_chart("growth", f"Growth of AI output and of Europe–China AI works, index {first} = 100", data.years,
                      series, "index", baseline=100)],
        [Table("The same indexes, with the works counted", ["series", *data.years], rows)])


def section_countries(data: ReportData, cite: Citations, top: int = 12) -> Section:
    figs = sorted((f for f in data.figures_of("country_share_of_eu_cn_works") if f.value is not None),
                  key=lambda f: (-f.value, f.scope))[:top]
    names = {f.scope: data.country_names.get(f.scope, f.scope) for f in figs}
    bars = [Bar(f"{shorten(names[f.scope])} ({f.scope})", f.value, PURPLE if f.scope == "GB" else BLUE, f.merics_value,
                full_label=f"{names[f.scope]} ({f.scope})") for f in figs]
    return Section(
        "countries", f"Which European countries take part in Europe–China AI works ({data.span})",
        Markup("Of all Europe–China AI works, the share with an institution of the country "
               "(<code>country_share_of_eu_cn_works</code>). A work with several European countries counts for "
               "each, so the shares add up to more than 100%."),
        [bar_chart("countries", "Share of Europe–China AI works by European country", bars, "share",
                   legend=[("United Kingdom", PURPLE), ("other European countries", BLUE)])],
        [_comparison_table([_comparison(data, cite, "UK share of Europe–China AI works",
                                        "country_share_of_eu_cn_works", "GB")])])


def section_risk(data: ReportData, cite: Citations) -> Section:
    span_row = data.risk_year[data.span]
    tags = [("All Europe–China AI works", "eu_cn_works", GREY),
            ("with a defence-linked partner (PLA included)", "eu_cn_works_defence_linked",
             RISK_LEVELS["defence_linked"].colour),
            ("with a PLA partner", "eu_cn_works_with_pla", RISK_LEVELS["pla"].colour),
            ("with a security-linked partner", "eu_cn_works_security_linked", RISK_LEVELS["security_linked"].colour)]
    bars, off_scale = _on_scale([Bar(label, data.figure(metric, "EUROPE").value, colour,
                                     data.figure(metric, "EUROPE").merics_value) for label, metric, colour in tags])
    unknown = [lvl for lvl in data.risk_levels if lvl not in RISK_LEVELS]
    if unknown:
        raise ReportInputError(f"marts.agg_risk_year has risk level(s) {', '.join(unknown)} that the study report "
                               "does not define (dagster_project/report/study.py RISK_LEVELS).")
    level_bars = [Bar(RISK_LEVELS[lvl].label, float(span_row[f"eu_cn_works_risk_level_{lvl}"]), RISK_LEVELS[lvl].colour)
                  for lvl in data.risk_levels]
    year_rows = [{"cells": [period, *(fmt(data.risk_year[period][f"eu_cn_works_risk_level_{lvl}"], "works")
                                      for lvl in data.risk_levels),
                            fmt(data.risk_year[period]["eu_cn_works"], "works")],
                  "attrs": {"data-period": period}} for period in [*data.years, data.span]]
    pla, defence = (span_row[f"eu_cn_works_risk_level_{lvl}"] for lvl in ("pla", "defence_linked"))
    rows = []
    for label, metric, _ in tags[:3]:
        rows.append(_comparison(data, cite, label[0].upper() + label[1:], metric, "EUROPE"))
        if metric in TEXT_ONLY:  # the same works' count that rests on affiliation text alone, just below
            rows.append(_comparison(data, cite, "Of them, on affiliation text alone", TEXT_ONLY[metric], "EUROPE"))
    rows.append(_comparison(data, cite, "Share with a defence-linked partner (PLA included)",
                            "eu_cn_share_defence_linked", "EUROPE"))
    pla_text, defence_text = (data.figure(TEXT_ONLY[m], "EUROPE").value
                              for m in ("eu_cn_works_with_pla", "eu_cn_works_defence_linked"))
    return Section(
        "risk", f"Europe–China AI works with PLA, defence-linked and security-linked Chinese partners ({data.span})",
        Markup("Chinese institutions are matched by ROR id (their own, a parent's in ROR, or one above them in their "
               "OpenAlex lineage) against the study's risk lists (seeds <code>risk_entities</code>, "
               "<code>risk_entity_units</code>). A work is also tagged when one of its affiliation strings places the "
               "author in mainland China and names a listed body by a whole name, and OpenAlex resolved that string "
               "to no institution of that body (match path <code>affiliation_text</code>). Resting on affiliation "
               "text alone, with no Chinese institution of theirs carrying the tag: "
               f"{fmt(pla_text, 'works')} of the works with a PLA partner and "
               f"{fmt(defence_text, 'works')} of those with a defence-linked partner "
               "(<code>fct_eu_cn_works.has_pla_by_text_only</code>, <code>has_defence_linked_by_text_only</code>). "
               "The first chart counts works by tag (a work can carry several); the second splits all works by "
               f"<b>risk level</b>, the highest tag among their Chinese partners, so the levels add up to the total: "
               f"works with a defence-linked partner ({fmt(span_row['eu_cn_works_defence_linked'], 'works')}) = "
               f"PLA level ({fmt(pla, 'works')}) + defence-linked level ({fmt(defence, 'works')})."
               + (" MERICS' counts are in the table below, on another scale than this data set's."
                  if off_scale else "")),
        [bar_chart("risk-tags", "Europe–China AI works by the tags of their Chinese partners", bars, "works"),
         bar_chart("risk-levels", "Europe–China AI works by risk level", level_bars, "works")],
        [_comparison_table(rows),
         Table("Europe–China AI works by year and risk level",
               ["period", *(RISK_LEVELS[lvl].label for lvl in data.risk_levels), "all"], year_rows)],
        [(RISK_LEVELS[lvl].label, RISK_LEVELS[lvl].definition) for lvl in data.risk_levels])


def section_links(data: ReportData, cite: Citations) -> Section:
    bars, rows = [], []
    for i, link in enumerate(data.links, start=1):
        level = RISK_LEVELS.get(link["chinese_risk_level"])
        if level is None:
            raise ReportInputError(f"marts.agg_institution_links has risk level {link['chinese_risk_level']!r}, "
                                   "which the study report does not define.")
        eu, cc, cn = link["european_institution_name"], link["european_country_code"], link["chinese_institution_name"]
        bars.append(Bar(f"{shorten(eu)} ({cc}) × {shorten(cn)}", float(link["eu_cn_works"]), level.colour,
                        full_label=f"{eu} ({cc}) × {cn}"))
        shown_rank = wording.rank(link["works_rank"], {link["works_rank"]} if link["works_rank_shared"] else set())
        rows.append({"cells": [shown_rank, link["european_institution_name"], link["european_country_code"],
                               link["chinese_institution_name"], level.label, fmt(link["eu_cn_works"], "works")],
                     "attrs": {"data-rank": str(i)}})
    present = [lvl for lvl in RISK_LEVELS if any(link["chinese_risk_level"] == lvl for link in data.links)]
    # The TU Munich figure's name carries the dbt var top_links_n (top10_links_involving_tum by default).
    tum = next((f for (m, scope, period), f in data.figures.items()
                if re.fullmatch(r"top\d+_links_involving_tum", m) and scope == "DE-CN" and period == data.span), None)
    tables = [Table("The same links in full (links with as many works share a rank: 3=)",
                    ["#", "European institution", "country", "Chinese institution", "risk level", "works"], rows,
                    numeric_from=5)]
    if tum is not None:
        tables.insert(0, _comparison_table([_comparison(data, cite, "German–Chinese top links with TU Munich",
                                                        tum.metric, "DE-CN")]))
    return Section(
        "links", f"The {wording.count(len(data.links), 'largest Europe–China institution link')} ({data.span})",
        Markup("An institution link is a pair of a European and a Chinese institution on the same Europe–China "
               "work, counted in distinct works (<code>marts.agg_institution_links</code>). The colour is the "
               "Chinese institution's risk level."),
        [bar_chart("links", "Europe–China institution links by distinct works", bars, "works",
                   legend=[(RISK_LEVELS[lvl].label, RISK_LEVELS[lvl].colour) for lvl in present])] if bars else [],
        tables, [(RISK_LEVELS[lvl].label, RISK_LEVELS[lvl].definition) for lvl in present])


def section_funding(data: ReportData, cite: Citations) -> Section:
    disclosed, total = data.figure("eu_cn_works_funding_disclosed", "EUROPE"), data.figure("eu_cn_works", "EUROPE")
    bars = [Bar("Disclosing a funder (share of all Europe–China AI works)",
                disclosed.value / total.value if total.value else None, GREY)]
    for label, metric, colour in (
            ("With a Chinese funder (share of those disclosing)", "share_china_funded_of_disclosed", RED),
            ("With a Chinese government funder (share of those disclosing)", "share_china_gov_funded_of_disclosed",
             "#7a0019")):
        f = data.figure(metric, "EUROPE")
        bars.append(Bar(label, f.value, colour, f.merics_value))
    rows = [_comparison(data, cite, "With a Chinese funder, share of those disclosing",
                        "share_china_funded_of_disclosed", "EUROPE"),
            _comparison(data, cite, "With a Chinese government funder, share of those disclosing",
                        "share_china_gov_funded_of_disclosed", "EUROPE"),
            _comparison(data, cite, "Funded by the National Defence Basic Scientific Research Programme",
                        "eu_cn_works_defence_programme_funded", "EUROPE")]
    return Section(
        "funding", f"Who funds Europe–China AI works ({data.span})",
        Markup("Shares of the Europe–China works that name at least one funder (OpenAlex <code>grants</code> "
               "before 2026, <code>funders</code> and <code>awards</code> after). A Chinese funder: its country is "
               "CN, or it is on the Chinese funders list; a government funder: marked so on that list (NSFC, MOST, "
               "…)."),
        [bar_chart("funding", "Funding of Europe–China AI works", bars, "share")],
        [_comparison_table(rows)])


SECTIONS = (section_shares, section_growth, section_uk, section_countries, section_risk, section_links, section_funding)


def study_context(data: ReportData) -> dict:
    """What templates/study.html needs: tiles, sections and the numbered sources they cite."""
    cite = Citations()
    tile_list = tiles(data, cite)
    sections = [make(data, cite) for make in SECTIONS]
    return {
        "data": data, "tiles": tile_list, "sections": sections, "sources": cite.sources,
        "europe": EUROPE_NAMES.get(data.europe_definition, data.europe_definition),
    }
