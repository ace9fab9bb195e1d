"""Invariants on the marts that dbt's per-model tests cannot state alone."""


import dagster as dg

from ..lib.duckdb_io import connect, markdown_table
from ..settings import load_settings

HEADLINE = dg.AssetKey(["marts", "headline_figures"])
EU_CN_WORKS = dg.AssetKey(["marts", "fct_eu_cn_works"])
COUNTRY_YEAR = dg.AssetKey(["marts", "agg_country_year"])
INSTITUTION_LINKS = dg.AssetKey(["marts", "agg_institution_links"])


@dg.asset_check(
    asset=HEADLINE,
    name="yearly_figures_sum_to_span",
    blocking=True,
    description="For every count metric reported per year and for the span, the years add up to the span figure.",
)
def yearly_figures_sum_to_span() -> dg.AssetCheckResult:
    settings = load_settings()
    with connect(settings.build_path, read_only=True) as con:
        rows = con.execute(
            """with f as (select * from marts.headline_figures where unit = 'works'),
                    span as (select metric, scope, value from f where period like '%-%'),
                    years as (select metric, scope, sum(value) as value from f where period not like '%-%' group by all)
               select span.metric, span.scope, span.value as span_value, years.value as sum_of_years
               from span join years using (metric, scope)
               where span.value <> years.value"""
        ).fetchall()
    return dg.AssetCheckResult(
        passed=not rows,
        metadata={"mismatches": dg.MetadataValue.md(markdown_table(["metric", "scope", "span", "sum of years"], rows)) if rows else "none"},
    )


@dg.asset_check(
    asset=HEADLINE,
    name="figures_agree_across_marts",
    blocking=True,
    additional_deps=[EU_CN_WORKS, COUNTRY_YEAR, INSTITUTION_LINKS],
    description=(
        "The headline figures agree with the marts they summarise: Europe–China works = rows of fct_eu_cn_works "
        "(per year and span), Europe's AI output = agg_country_year, PLA / defence-linked works = the flags of "
        "fct_eu_cn_works, and every mart row carries the same dataset label and definition set."
    ),
)
def figures_agree_across_marts() -> dg.AssetCheckResult:
    settings = load_settings()
    with connect(settings.build_path, read_only=True) as con:
        rows = con.execute(
            """with works as (select * from marts.fct_eu_cn_works),
                    span as (select min(period) filter (where period like '%-%') as span from marts.headline_figures),
                    recount as (
                        select 'eu_cn_works' as metric, 'EUROPE' as scope, publication_year::varchar as period, count(*)::double as value
                        from works group by publication_year
                        union all
                        select 'eu_cn_works', 'EUROPE', span, count(*)::double from works, span group by span
                        union all
                        select 'eu_cn_works_with_pla', 'EUROPE', span, (count(*) filter (where has_pla))::double from works, span group by span
                        union all
                        select 'eu_cn_works_defence_linked', 'EUROPE', span, (count(*) filter (where has_defence_linked))::double from works, span group by span
                        union all
                        select 'europe_ai_works', 'EUROPE', publication_year::varchar, ai_works::double
                        from marts.agg_country_year where scope = 'EUROPE'
                    )
               select recount.metric, recount.scope, recount.period, recount.value, headline.value
               from recount
               left join marts.headline_figures as headline using (metric, scope, period)
               where headline.value is distinct from recount.value"""
        ).fetchall()
        labels = con.execute(
            """select count(distinct dataset_label), count(distinct definition_set) from (
                   select dataset_label, definition_set from marts.headline_figures
                   union all select dataset_label, definition_set from marts.fct_eu_cn_works
                   union all select dataset_label, definition_set from marts.agg_country_year
                   union all select dataset_label, definition_set from marts.agg_institution_links)"""
        ).fetchone()
    consistent_labels = labels == (1, 1) or labels == (0, 0)
    return dg.AssetCheckResult(
        passed=not rows and consistent_labels,
        metadata={
            "mismatches": dg.MetadataValue.md(markdown_table(["metric", "scope", "period", "recounted", "headline"], rows)) if rows else "none",
            "distinct_dataset_labels": labels[0],
            "distinct_definition_sets": labels[1],
        },
    )


# The set in force of sensitivity_figures is checked against headline_figures by a dbt singular test
# (dbt/tests/marts/assert_sensitivity_in_force_matches_headline.sql), which reaches Dagster as an asset check.
mart_checks = [yearly_figures_sum_to_span, figures_agree_across_marts]
