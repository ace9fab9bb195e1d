-- Named as the Dagster check it replaced (a Python check before), so the check keeps its history.
-- For every count metric reported per year and for the span, the years add up to the span figure.
-- Returns the metrics whose years do not.
with figures as (
    select * from {{ ref('headline_figures') }}
    where unit = 'works'
),

span as (
    select metric, scope, value
    from figures
    where period like '%-%'
),

years as (
    select metric, scope, sum(value) as value
    from figures
    where period not like '%-%'
    group by metric, scope
)

select
    span.metric,
    span.scope,
    span.value as span_value,
    years.value as sum_of_years
from span
inner join years
    on span.metric = years.metric
        and span.scope = years.scope
where span.value <> years.value
