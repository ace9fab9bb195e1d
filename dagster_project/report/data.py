"""What the study report shows, read from the published warehouse's marts.

Every table and column the report uses is named here and checked before anything is read: a renamed or
missing one stops the report with one sentence naming it, instead of a page that quietly shows less.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RISK_LEVEL_PREFIX = "eu_cn_works_risk_level_"

# The columns the report reads, per relation. The dataset flag lives in staging: the marts carry its label only.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "marts.headline_figures": (
        "metric", "scope", "period", "value", "unit", "merics_value", "merics_value_text", "merics_reference_id",
        "merics_status", "merics_source", "definition_set", "europe_definition",
    ),
    "marts.agg_country_year": ("scope", "scope_name", "publication_year", "ai_works", "partner_works",
                               "share_with_partner", "ai_works_index", "partner_works_index"),
    "marts.agg_risk_year": ("period", "is_single_year", "eu_cn_works", "eu_cn_works_with_pla",
                            "eu_cn_works_defence_linked", "eu_cn_works_security_linked"),
    "marts.agg_institution_links": ("european_institution_name", "european_country_code", "chinese_institution_name",
                                    "chinese_country_code", "eu_cn_works", "chinese_risk_level"),
    "staging.stg_openalex__dataset": ("dataset_label", "is_synthetic"),
}


class ReportInputError(RuntimeError):
    """The warehouse lacks a table or column the report reads."""


def table_columns(con, relation: str) -> list[str]:
    schema, table = relation.split(".")
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table]).fetchall()]


def require(con, relation: str, columns: tuple[str, ...] | list[str]) -> list[str]:
    """The relation's columns; raises ReportInputError naming the table or the columns that are missing."""
    present = table_columns(con, relation)
    if not present:
        raise ReportInputError(f"The study report reads {relation}, which is not in the warehouse.")
    missing = [c for c in columns if c not in present]
    if missing:
        raise ReportInputError(
            f"The study report reads column{'s' if len(missing) > 1 else ''} {', '.join(missing)} of {relation}, "
            f"which {'are' if len(missing) > 1 else 'is'} not in the warehouse.")
    return present


@dataclass(frozen=True)
class Figure:
    metric: str
    scope: str
    period: str
    value: float | None
    unit: str
    merics_value: float | None = None
    merics_value_text: str | None = None
    merics_reference_id: str | None = None
    merics_status: str | None = None
    merics_source: str | None = None


@dataclass
class ReportData:
    dataset_label: str
    is_synthetic: bool
    definition_set: str
    europe_definition: str
    span: str
    years: list[str]
    figures: dict[tuple[str, str, str], Figure]
    country_year: dict[str, dict[str, dict]]  # scope -> year -> the agg_country_year columns read
    country_names: dict[str, str]
    risk_levels: list[str]  # highest first, as the mart's columns order them
    risk_year: dict[str, dict[str, float]]  # period -> column -> value
    links: list[dict]
    marts: list[str] = field(default_factory=list)

    def figure(self, metric: str, scope: str, period: str | None = None) -> Figure:
        """The headline figure; a KeyError names the metric, scope and period the mart lacks."""
        key = (metric, scope, period or self.span)
        if key not in self.figures:
            raise ReportInputError(f"marts.headline_figures has no row for metric {key[0]}, scope {key[1]}, "
                                   f"period {key[2]}, which the study report shows.")
        return self.figures[key]

    def figures_of(self, metric: str, period: str | None = None) -> list[Figure]:
        return [f for (m, _, p), f in self.figures.items() if m == metric and p == (period or self.span)]


def read_report_data(con, top_links: int = 10) -> ReportData:
    """Everything the report shows, from one read-only connection to the published warehouse."""
    for relation, columns in REQUIRED_COLUMNS.items():
        require(con, relation, columns)
    head_cols = REQUIRED_COLUMNS["marts.headline_figures"]
    rows = con.execute(f"select {', '.join(head_cols)} from marts.headline_figures").fetchall()
    if not rows:
        raise ReportInputError("marts.headline_figures is empty: the study report has no figure to show.")
    figures = {}
    for row in rows:
        r = dict(zip(head_cols, row, strict=True))
        figures[(r["metric"], r["scope"], r["period"])] = Figure(
            r["metric"], r["scope"], r["period"], None if r["value"] is None else float(r["value"]), r["unit"],
            None if r["merics_value"] is None else float(r["merics_value"]), r["merics_value_text"],
            r["merics_reference_id"], r["merics_status"], r["merics_source"])
    definition_set = rows[0][head_cols.index("definition_set")]
    europe_definition = rows[0][head_cols.index("europe_definition")]
    label, synthetic = con.execute("select dataset_label, is_synthetic from staging.stg_openalex__dataset").fetchone()

    risk_cols = [c for c in require(con, "marts.agg_risk_year", REQUIRED_COLUMNS["marts.agg_risk_year"])
                 if c.startswith(RISK_LEVEL_PREFIX)]
    if not risk_cols:
        raise ReportInputError(f"marts.agg_risk_year has no {RISK_LEVEL_PREFIX}<level> column, which the study "
                               "report shows.")
    risk_select = [*REQUIRED_COLUMNS["marts.agg_risk_year"], *risk_cols]
    risk_year, span = {}, None
    for row in con.execute(f"select {', '.join(risk_select)} from marts.agg_risk_year order by period").fetchall():
        r = dict(zip(risk_select, row, strict=True))
        risk_year[r["period"]] = {k: v for k, v in r.items() if k not in ("period", "is_single_year")}
        if not r["is_single_year"]:
            span = r["period"]
    if span is None:
        raise ReportInputError("marts.agg_risk_year has no row for the whole study period (is_single_year false).")
    years = sorted(p for p in risk_year if p != span)

    country_year: dict[str, dict[str, dict]] = {}
    names: dict[str, str] = {}
    for scope, name, year, ai, partner, share, ai_index, partner_index in con.execute(
        "select scope, scope_name, publication_year, ai_works, partner_works, share_with_partner, ai_works_index, "
        "partner_works_index from marts.agg_country_year order by scope, publication_year"
    ).fetchall():
        names[scope] = name
        country_year.setdefault(scope, {})[str(year)] = {
            "ai_works": ai, "partner_works": partner, "share_with_partner": None if share is None else float(share),
            "ai_works_index": None if ai_index is None else float(ai_index),
            "partner_works_index": None if partner_index is None else float(partner_index)}

    link_cols = REQUIRED_COLUMNS["marts.agg_institution_links"]
    # Ranked by works, links with as many works sharing a rank (competition ranking over every link, so a tie
    # across the cut shows too).
    link_select = [*link_cols, "works_rank", "works_rank_shared"]
    links = [dict(zip(link_select, row, strict=True)) for row in con.execute(
        f"select {', '.join(link_cols)}, rank() over (order by eu_cn_works desc) as works_rank, "
        "count(*) over (partition by eu_cn_works) > 1 as works_rank_shared from marts.agg_institution_links "
        "order by eu_cn_works desc, european_institution_name, chinese_institution_name limit ?", [top_links]
    ).fetchall()]
    marts = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
    return ReportData(
        dataset_label=label, is_synthetic=bool(synthetic), definition_set=definition_set,
        europe_definition=europe_definition, span=span, years=years,
        figures=figures, country_year=country_year, country_names=names,
        risk_levels=[c.removeprefix(RISK_LEVEL_PREFIX) for c in risk_cols], risk_year=risk_year, links=links,
        marts=marts,
    )
