"""What the institution pages show, read from the institution marts of the published warehouse.

Like `data.py`, every table and column read is named here and checked first (`require`): a renamed or missing one
stops the pages with one sentence naming it. Each mart is read once for all institutions (or filtered to one, for
`make profile`) and grouped here, so the pages cost a handful of queries, not a handful per institution.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..study_definitions import dbt_vars
from . import wording
from .data import ReportInputError, require
from .study import RISK_LEVELS

YEAR_LEVEL_PREFIX = "eu_cn_works_risk_"
NEWEST_WORKS = 10  # newest works listed on a page
DUAL_USE_WORKS = 50  # dual-use works listed on a page (the count is always the mart's)
TEXT_ONLY_WORKS = 50  # works tagged on affiliation text alone listed on a page, newest first (with their count)

INSTITUTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "marts.institution_profiles": (
        "institution_id", "institution_ror", "institution_ror_url", "institution_name", "country_code",
        "eu_cn_works", "eu_cn_works_with_pla", "eu_cn_works_defence_linked", "eu_cn_works_security_linked",
        "share_defence_linked", "chinese_partners", "chinese_partners_pla", "chinese_partners_defence_linked",
        "chinese_partners_security_linked", "chinese_risk_entities", "first_year", "last_year", "ai_works",
        "share_of_ai_works_with_cn", "funding_disclosed_works", "china_funded_works", "chinese_gov_funded_works",
        "defence_programme_funded_works", "dual_use_works", "top_funders", "rank_by_defence_linked_works",
        "rank_by_share_of_ai_works_with_cn", "definition_set"),
    "marts.agg_institution_years": (
        "institution_id", "publication_year", "ai_works", "eu_cn_works", "share_of_ai_works_with_cn"),
    "marts.institution_partners": (
        "institution_id", "partner_institution_id", "partner_ror", "partner_name", "eu_cn_works", "first_year",
        "last_year", "partner_risk_level", "partner_risk_entities", "dual_use_areas"),
    "marts.fct_institution_eu_cn_works": (
        "institution_id", "work_id", "publication_year", "title", "doi", "risk_level", "is_dual_use",
        "dual_use_areas"),
    # A work's tags that rest on affiliation text alone, and the strings behind them.
    "marts.fct_eu_cn_works": ("work_id", "has_pla_by_text_only", "has_defence_linked_by_text_only", "risk_reasons"),
}
ENTITY_FIELDS = ("entity_name", "source_lists", "source_url", "match_path", "matched_institution_id",
                 "matched_ror_id", "reason")


@dataclass
class Institution:
    """One European institution's page: its profile row and its rows of the other institution marts."""

    profile: dict
    page: str  # the page's file name inside report/institutions/
    years: list[dict] = field(default_factory=list)  # per study year, with the risk-level split
    partners: list[dict] = field(default_factory=list)
    newest_works: list[dict] = field(default_factory=list)
    dual_use_works: list[dict] = field(default_factory=list)
    text_only_works: list[dict] = field(default_factory=list)  # tagged PLA / defence-linked on affiliation text alone

    @property
    def id(self) -> str:
        return self.profile["institution_id"]


def _rows(con, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _of(by_id: dict[str, Institution], row: dict, relation: str) -> Institution:
    if row["institution_id"] not in by_id:
        raise ReportInputError(f"{relation} has institution {row['institution_id']}, which marts.institution_profiles "
                               "lacks: the institution marts are from different builds.")
    return by_id[row["institution_id"]]


def partner_order(partner: dict) -> tuple:
    """The one order of an institution's Chinese partners, on its page and in `make profile`: riskiest first (the
    risk level, highest first), then most joint works, then by name, so a PLA partner with one work is never
    below a cut of civilian partners with many."""
    levels = list(RISK_LEVELS)
    level = partner["partner_risk_level"]
    return (levels.index(level) if level in levels else len(levels), -partner["eu_cn_works"],
            partner["partner_name"] or "", partner["partner_institution_id"])


def share_ranking_min_works() -> int:
    """The fewest AI works an institution needs to be ranked by its share with China: the dbt var the mart's
    rank_by_share_of_ai_works_with_cn is computed with (dbt/dbt_project.yml)."""
    return int(dbt_vars(required=("share_ranking_min_works",))["share_ranking_min_works"])


def shown_ranks(con, profiles: list[dict]) -> None:
    """Each profile's ranks as shown ("23=" when another institution shares it), from every institution's ranks
    (also when only one profile is read)."""
    ties = {}
    for column in ("rank_by_defence_linked_works", "rank_by_share_of_ai_works_with_cn"):
        ties[column] = wording.shared(r for (r,) in con.execute(f"select {column} from marts.institution_profiles")
                                      .fetchall())
    for p in profiles:
        p["rank_shown"] = wording.rank(p["rank_by_defence_linked_works"], ties["rank_by_defence_linked_works"])
        p["share_rank_shown"] = wording.rank(p["rank_by_share_of_ai_works_with_cn"],
                                             ties["rank_by_share_of_ai_works_with_cn"])


def page_names(con) -> dict[str, str]:
    """Each profiled institution's page file: its bare ROR id, or its OpenAlex id when it has no ROR id or shares
    it with another profiled institution (so no page overwrites another)."""
    pairs = con.execute("select institution_id, institution_ror from marts.institution_profiles").fetchall()
    shared = Counter(ror for _, ror in pairs if ror)
    return {iid: f"{ror if ror and shared[ror] == 1 else iid}.html" for iid, ror in pairs}


def year_levels(con) -> list[str]:
    """The risk levels agg_institution_years splits a year's works by, as its columns order them."""
    columns = require(con, "marts.agg_institution_years", INSTITUTION_COLUMNS["marts.agg_institution_years"])
    levels = [c.removeprefix(YEAR_LEVEL_PREFIX) for c in columns if c.startswith(YEAR_LEVEL_PREFIX)]
    if not levels:
        raise ReportInputError(f"marts.agg_institution_years has no {YEAR_LEVEL_PREFIX}<level> column, which the "
                               "institution pages chart.")
    return levels


def read_institutions(con, only: str | None = None) -> tuple[list[Institution], list[str]]:
    """Every profiled institution (or the one with OpenAlex id `only`), ranked by defence-linked exposure, and
    the risk levels of the per-year split."""
    for relation, columns in INSTITUTION_COLUMNS.items():
        require(con, relation, columns)
    levels = year_levels(con)
    where, params = ("where institution_id = ?", [only]) if only else ("", [])
    cols = INSTITUTION_COLUMNS
    profiles = _rows(con, f"select {', '.join(cols['marts.institution_profiles'])} from marts.institution_profiles "
                          f"{where} order by rank_by_defence_linked_works, institution_name, institution_id", params)
    if only and not profiles:
        raise ReportInputError(f"marts.institution_profiles has no institution {only}.")
    shown_ranks(con, profiles)
    names = page_names(con)
    by_id = {p["institution_id"]: Institution(p, names[p["institution_id"]]) for p in profiles}

    year_cols = [*cols["marts.agg_institution_years"], *(YEAR_LEVEL_PREFIX + lvl for lvl in levels)]
    for r in _rows(con, f"select {', '.join(year_cols)} from marts.agg_institution_years {where} "
                        "order by institution_id, publication_year", params):
        _of(by_id, r, "marts.agg_institution_years").years.append(r)
    for r in _rows(con, f"select {', '.join(cols['marts.institution_partners'])} from marts.institution_partners "
                        f"{where}", params):
        _of(by_id, r, "marts.institution_partners").partners.append(r)
    for inst in by_id.values():
        inst.partners.sort(key=partner_order)
    work_cols = ", ".join(cols["marts.fct_institution_eu_cn_works"])
    for r in _rows(con, f"""select {work_cols} from marts.fct_institution_eu_cn_works {where}
                           qualify row_number() over (partition by institution_id
                                                      order by publication_year desc, work_id desc) <= ?
                           order by institution_id, publication_year desc, work_id desc""",
                   [*params, NEWEST_WORKS]):
        _of(by_id, r, "marts.fct_institution_eu_cn_works").newest_works.append(r)
    dual_where = f"{where} and is_dual_use" if where else "where is_dual_use"
    for r in _rows(con, f"""select {work_cols} from marts.fct_institution_eu_cn_works {dual_where}
                           qualify row_number() over (partition by institution_id
                                                      order by publication_year desc, work_id desc) <= ?
                           order by institution_id, publication_year desc, work_id desc""",
                   [*params, DUAL_USE_WORKS]):
        _of(by_id, r, "marts.fct_institution_eu_cn_works").dual_use_works.append(r)
    text_where = "and works.institution_id = ?" if only else ""
    for r in _rows(con, f"""select works.institution_id, works.work_id, works.publication_year, works.title, works.doi,
                                  tagged.has_pla_by_text_only, tagged.has_defence_linked_by_text_only,
                                  count(*) over (partition by works.institution_id) as text_only_total,
                                  list_transform(
                                      list_filter(tagged.risk_reasons, lambda r: r.match_path = 'affiliation_text'),
                                      lambda r: struct_pack(entity_name := r.entity_name,
                                                            matched_name := r.matched_name,
                                                            affiliation_string := r.affiliation_string)
                                  ) as text_evidence
                           from marts.fct_institution_eu_cn_works as works
                           inner join marts.fct_eu_cn_works as tagged on works.work_id = tagged.work_id
                           where (tagged.has_pla_by_text_only or tagged.has_defence_linked_by_text_only) {text_where}
                           qualify row_number() over (partition by works.institution_id
                                                      order by works.publication_year desc, works.work_id desc) <= ?
                           order by works.institution_id, works.publication_year desc, works.work_id desc""",
                   [*params, TEXT_ONLY_WORKS]):
        # A string printed for several authors is one piece of evidence; in a stable order, as the page's fingerprint
        # reads it.
        r["text_evidence"] = sorted({(e["affiliation_string"], e["entity_name"], e["matched_name"])
                                     for e in r["text_evidence"]})
        _of(by_id, r, "marts.fct_institution_eu_cn_works").text_only_works.append(r)
    return list(by_id.values()), levels
