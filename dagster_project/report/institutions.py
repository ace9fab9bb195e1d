"""One page per European institution (report/institutions/<ror>.html) and their index, ranked by defence-linked
exposure: the due-diligence view of one European university or institute.

Each page: its totals, its joint works per year split by the Chinese partner's risk level, its partners by works,
the partners with their tags and why (entity, list, source, the path through the OpenAlex lineage), the works tagged
on affiliation text alone with the strings behind them, its funders, its dual-use works and its newest works. Every
figure is a mart's (institution_data.py); nothing is recomputed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from markupsafe import Markup

from . import wording
from .charts import Bar, Series, bar_chart, fmt, shorten, stacked_column_chart
from .data import ReportInputError
from .institution_data import YEAR_LEVEL_PREFIX, Institution, share_ranking_min_works
from .render import Page
from .study import RISK_LEVELS, TAG_NAMES, Section, Table

FOLDER = "institutions"
INDEX = f"{FOLDER}/index.html"
TOP_PARTNERS = 15  # partners in the chart; the table lists them all
# A page's charts take up to ~0.2–0.3 s to draw. Past this many pages per core, the pages are drawn in a process per
# core: each such process starts by importing the report's code (~3 s), which fewer pages do not repay.
PAGES_PER_PROCESS = 40
# A chart compares: with one year of joint works, or one partner, the table alone shows it. Most institutions of a
# full snapshot are such (one or two joint works), so most pages need no chart.
MIN_CHARTED = 2
WEB_LINK = ("https://", "http://")  # the only addresses a page links: no `javascript:` or other scheme from data
MATCH_PATHS = {"own_ror": "its own ROR id", "ror_parent": "a parent in ROR",
               "lineage_ancestor": "an ancestor in its OpenAlex lineage"}


def _level(level: str, where: str):
    if level not in RISK_LEVELS:
        raise ReportInputError(f"{where} has risk level {level!r}, which the report does not define "
                               "(dagster_project/report/study.py RISK_LEVELS).")
    return RISK_LEVELS[level]


def _doi_link(doi: str | None) -> Markup:
    return Markup('<a href="https://doi.org/{0}">{0}</a>').format(doi) if doi else Markup("—")


def _share(value) -> str:
    return fmt(None if value is None else float(value), "share")


def tiles(p: dict) -> list[dict]:
    ai = "unknown (API source)" if p["ai_works"] is None else wording.count(p["ai_works"], "work")
    items = [
        ("eu_cn_works", fmt(p["eu_cn_works"], "works"),
         f"Europe–China AI {wording.noun(p['eu_cn_works'], 'work')}, {wording.period(p['first_year'], p['last_year'])}"),
        ("eu_cn_works_defence_linked", fmt(p["eu_cn_works_defence_linked"], "works"),
         f"of them with a {TAG_NAMES['defence_linked']} Chinese partner, {_share(p['share_defence_linked'])}"),
        ("eu_cn_works_with_pla", fmt(p["eu_cn_works_with_pla"], "works"), "of them with a PLA partner"),
        ("eu_cn_works_security_linked", fmt(p["eu_cn_works_security_linked"], "works"),
         "of them with a security-linked partner"),
        ("chinese_partners", fmt(p["chinese_partners"], "works"),
         f"Chinese {wording.noun(p['chinese_partners'], 'partner')}, {p['chinese_partners_defence_linked']} "
         f"{TAG_NAMES['defence_linked']}, {p['chinese_partners_pla']} PLA"),
        ("share_of_ai_works_with_cn", _share(p["share_of_ai_works_with_cn"]),
         f"of its own AI output ({ai}) co-authored with China"),
    ]
    return [{"value": v, "label": label, "attrs": {"data-field": key}} for key, v, label in items]


def section_years(inst: Institution, levels: list[str]) -> Section:
    years = [str(y["publication_year"]) for y in inst.years]
    # The riskiest level sits on the axis, so its part of each year reads directly.
    layers = [Series(_level(lvl, "marts.agg_institution_years").label, RISK_LEVELS[lvl].colour,
                     {str(y["publication_year"]): y[YEAR_LEVEL_PREFIX + lvl] for y in inst.years})
              for lvl in levels]
    active = [y["publication_year"] for y in inst.years if y["eu_cn_works"]]
    rows = [{"cells": [str(y["publication_year"]), *(fmt(y[YEAR_LEVEL_PREFIX + lvl], "works") for lvl in levels),
                       fmt(y["eu_cn_works"], "works"),
                       "n/a" if y["ai_works"] is None else fmt(y["ai_works"], "works"),
                       _share(y["share_of_ai_works_with_cn"])],
             "attrs": {"data-year": str(y["publication_year"])}} for y in inst.years]
    return Section(
        "years", "Joint works with China per year, by the Chinese partner's risk level",
        Markup("Each year's Europe–China AI works of this institution, split by the work's <b>risk level</b>: the "
               "highest tag among its Chinese partners, so the levels add up to the year's works "
               "(<code>marts.agg_institution_years</code>).{0}").format(
            Markup(" All of them are from {0}, so the table alone shows them.").format(active[0]) if len(active) == 1 else ""),
        [stacked_column_chart("inst-years", "Europe–China AI works per year by risk level", years, layers, "works")]
        if len(active) >= MIN_CHARTED else [],
        [Table("The same works per year, with the institution's own AI output",
               ["year", *(RISK_LEVELS[lvl].label for lvl in levels), "all", "own AI works", "share with China"],
               rows)],
        [(RISK_LEVELS[lvl].label, RISK_LEVELS[lvl].definition) for lvl in levels])


def _reasons(partner: dict) -> Markup:
    """The partner's tags: each risk-list entity, its lists, its source and how the partner matched it."""
    if not partner["partner_risk_entities"]:
        return Markup("on no risk list")
    items = []
    for e in partner["partner_risk_entities"]:
        path = MATCH_PATHS.get(e["match_path"], e["match_path"])
        via = ""
        if e["match_path"] != "own_ror":
            via = f" ({e['matched_institution_id']}, ROR {e['matched_ror_id'] or 'none'})"
        url = e["source_url"] or ""
        source = Markup(' <a href="{0}">source</a>').format(url) if url.startswith(WEB_LINK) else ""
        items.append(Markup('<li data-entity="{0}"><b>{0}</b>, through {1}{2}; list: {3}.{4}</li>').format(
            e["entity_name"], path, via, e["source_lists"].replace("|", ", "), source))
    return Markup('<ul class="reasons">') + Markup("").join(items) + Markup("</ul>")


def _text_evidence(work: dict) -> Markup:
    """Why a work is tagged on affiliation text alone: each string as printed, the listed body it names and the name
    found in it."""
    items = [Markup('<li>“{0}” names <b>{1}</b> as “{2}”</li>').format(string, entity, name)
             for string, entity, name in work["text_evidence"]]
    return Markup('<ul class="reasons">') + Markup("").join(items) + Markup("</ul>")


def text_only_table(inst: Institution) -> Table | None:
    """The works whose PLA or defence-linked tag rests on affiliation text alone (no partner of theirs is so
    tagged), with the strings that tagged them; None when there are none."""
    works = inst.text_only_works
    if not works:
        return None
    total = works[0]["text_only_total"]
    rows = [{"cells": [str(w["publication_year"]), w["title"] or "(no title)", _doi_link(w["doi"]),
                       TAG_NAMES["pla" if w["has_pla_by_text_only"] else "defence_linked"], _text_evidence(w)],
             "attrs": {"data-text-work": w["work_id"]}} for w in works]
    caption = (f"Works tagged on affiliation text alone ({total}"
               + (f", the newest {len(works)} listed)" if total > len(works) else ")"))
    return Table(caption, ["year", "title", "DOI", "tag", "the affiliation string and the listed body it names"], rows,
                 numeric_from=99)


def section_partners(inst: Institution) -> Section:
    bars, rows, present = [], [], []
    for i, p in enumerate(inst.partners):
        level = _level(p["partner_risk_level"], "marts.institution_partners")
        if p["partner_risk_level"] not in present:
            present.append(p["partner_risk_level"])
        if i < TOP_PARTNERS:
            bars.append(Bar(f"{shorten(p['partner_name'])} ({level.label})", float(p["eu_cn_works"]), level.colour,
                            full_label=f"{p['partner_name']} ({level.label})"))
        rows.append({"cells": [p["partner_name"], p["partner_ror"] or "none", level.label,
                               wording.period(p["first_year"], p["last_year"]), fmt(p["eu_cn_works"], "works"),
                               _reasons(p)],
                     "attrs": {"data-partner": p["partner_institution_id"]}})
    if len(bars) < MIN_CHARTED:
        bars, shown = [], "The table lists it"
    elif len(inst.partners) > len(bars):
        shown = f"The chart shows the first {len(bars)}; the table lists every partner"
    else:
        shown = "The chart shows them all; the table lists them"
    present.sort(key=list(RISK_LEVELS).index)
    text_only = text_only_table(inst)
    by_text = Markup("") if text_only is None else Markup(
        " Tagged on affiliation text alone: {0} of its works, whose PLA or defence-linked tag no partner of theirs "
        "carries; an affiliation string of theirs placed in mainland China names a listed body, and OpenAlex resolved "
        "it to no institution of that body (match path <code>affiliation_text</code>). The last table gives each "
        "string.").format(
        inst.text_only_works[0]["text_only_total"])
    return Section(
        "partners", f"Its {wording.count(len(inst.partners), 'Chinese partner')}",
        Markup("Chinese institutions on its Europe–China works, as they appear on the works (a lab and its parent "
               "university are two partners), riskiest first: by risk level, highest first, then by joint works. A "
               "partner is tagged when it, a parent in ROR, or an ancestor in its OpenAlex lineage is on one of the "
               "study's risk lists (<code>marts.institution_partners</code>). {0} with the reasons for the tags. "
               "Risk levels as defined above.{1}").format(shown, by_text),
        [bar_chart("inst-partners", "Chinese partners, riskiest first: joint Europe–China AI works", bars, "works",
                   legend=[(RISK_LEVELS[lvl].label, RISK_LEVELS[lvl].colour) for lvl in present])] if bars else [],
        [Table("Partners, their risk level and why", ["Chinese partner", "ROR", "risk level", "years", "works",
                                                      "tags and reasons"], rows, numeric_from=4, numeric_to=5),
         *([text_only] if text_only else [])])


def _work_row(w: dict, areas: bool) -> dict:
    level = _level(w["risk_level"], "marts.fct_institution_eu_cn_works")
    cells = [str(w["publication_year"]), w["title"] or "(no title)", _doi_link(w["doi"]), level.label]
    if areas:
        cells.append(", ".join(w["dual_use_areas"] or []))
    return {"cells": cells, "attrs": {"data-work": w["work_id"]}}


def section_funding_and_works(inst: Institution) -> Section:
    p = inst.profile
    funders = [{"cells": [f["funder_name"], fmt(f["eu_cn_works"], "works")], "attrs": {}}
               for f in p["top_funders"] or []]
    dual_caption = (f"Dual-use works ({p['dual_use_works']}"
                    + (f", the newest {len(inst.dual_use_works)} listed)" if p["dual_use_works"] > len(inst.dual_use_works)
                       else ")"))
    return Section(
        "works", "Funders, dual-use works and the newest works",
        Markup("Its Europe–China works naming a funder: {0}; a Chinese funder: {1}; a Chinese government funder: {2}; "
               "the National Defence Basic Scientific Research Programme: {3}. A dual-use work touches an area of "
               "the seed <code>dual_use_topics</code>. Every work: <code>select * from "
               "marts.fct_institution_eu_cn_works where institution_id = '{4}'</code>.").format(
            p["funding_disclosed_works"], p["china_funded_works"], p["chinese_gov_funded_works"],
            p["defence_programme_funded_works"], inst.id),
        [],
        [Table("Top funders (Europe–China works naming them)", ["funder", "works"],
               funders or [{"cells": ["none disclosed", ""], "attrs": {}}]),
         Table(dual_caption, ["year", "title", "DOI", "partner risk level", "dual-use areas"],
               [_work_row(w, True) for w in inst.dual_use_works] or [{"cells": ["none", "", "", "", ""], "attrs": {}}],
               numeric_from=99),
         Table(f"Newest works ({len(inst.newest_works)} of {p['eu_cn_works']})",
               ["year", "title", "DOI", "partner risk level"], [_work_row(w, False) for w in inst.newest_works],
               numeric_from=99)])


def institution_page(inst: Institution, levels: list[str], fingerprint: str) -> Page:
    return Page(f"{FOLDER}/{inst.page}", "institution.html", {
        "p": inst.profile, "tiles": tiles(inst.profile), "fingerprint": fingerprint,
        "share_min_works": share_ranking_min_works(),
        "sections": [section_years(inst, levels), section_partners(inst), section_funding_and_works(inst)]})


def index_page(institutions: list[Institution]) -> Page:
    rows = [{"p": i.profile, "href": i.page} for i in institutions]
    return Page(INDEX, "institutions_index.html", {"rows": rows, "share_min_works": share_ranking_min_works()})


def institution_pages(institutions: list[Institution], levels: list[str], fingerprints: dict[str, str],
                      progress: Callable[[str], None] | None = None) -> list[Page]:
    """The institutions' pages; each carries the fingerprint of what it was drawn from (build.fingerprint).
    Hundreds of pages are drawn on every core (spawned processes: the run's own process may hold threads).
    `progress` is told how many are drawn, every tenth of them."""
    args = (institutions, [levels] * len(institutions), [fingerprints[i.id] for i in institutions])
    workers = min(os.cpu_count() or 1, len(institutions) // PAGES_PER_PROCESS)
    every = max(1, len(institutions) // 10)

    def told(pages) -> list[Page]:
        drawn = []
        for page in pages:
            drawn.append(page)
            if progress and (len(drawn) % every == 0 or len(drawn) == len(institutions)):
                progress(f"institution pages: {len(drawn):,} of {len(institutions):,} drawn")
        return drawn

    if workers < 2:
        return told(map(institution_page, *args))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return told(pool.map(institution_page, *args, chunksize=max(1, len(institutions) // (workers * 4))))
