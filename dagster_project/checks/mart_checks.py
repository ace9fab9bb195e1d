"""Invariants on the marts that dbt's per-model tests cannot state alone."""


import dagster as dg

from ..lib.duckdb_io import connect, markdown_table
from ..settings import load_settings

HEADLINE = dg.AssetKey(["marts", "headline_figures"])


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


mart_checks = [yearly_figures_sum_to_span]
