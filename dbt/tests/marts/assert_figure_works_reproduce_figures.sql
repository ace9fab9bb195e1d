{{ config(meta={'dagster': {'ref': {'name': 'figure_works'}}}) }}
-- The works behind the figures number the figures: every count of works in headline_figures, and every part of a
-- share held by works (figure_parts), has as many rows in figure_works as its value; figure_works holds no other
-- figure. AI output counted by OpenAlex's group_by (API mode) is not held by works and is left out.
-- Returns each figure whose rows and value differ.
with bridge as (
    select metric, scope, period, count(*)::double as works
    from {{ ref('figure_works') }}
    group by metric, scope, period
),

headline_counts as (
    select metric, scope, period, value
    from {{ ref('headline_figures') }}
    where unit = 'works'
        and not (metric in {{ ai_output_metrics() }} and denominator_source = 'api_group_by')
),

part_counts as (
    select distinct part_metric as metric, part_scope as scope, part_period as period, part_value as value
    from {{ ref('figure_parts') }}
    where is_in_figure_works and not is_headline_figure
),

figures as (
    select * from headline_counts
    union all
    select * from part_counts
)

select
    coalesce(figures.metric, bridge.metric) as metric,
    coalesce(figures.scope, bridge.scope) as scope,
    coalesce(figures.period, bridge.period) as period,
    figures.value as figure_value,
    coalesce(bridge.works, 0) as works_in_figure_works
from figures
full outer join bridge
    on figures.metric = bridge.metric
        and figures.scope = bridge.scope
        and figures.period = bridge.period
where figures.value is distinct from coalesce(bridge.works, 0)
