{{ config(meta={'dagster': {'ref': {'name': 'figure_parts'}}}) }}
-- Every share of headline_figures has one numerator and one denominator in figure_parts, and equals the one
-- divided by the other (NULL when the denominator is zero or unknown).
-- Returns each share that has not exactly two parts or does not equal their quotient.
with shares as (
    select metric, scope, period, value
    from {{ ref('headline_figures') }}
    where unit = 'share'
),

parts as (
    select
        metric,
        scope,
        period,
        count(*) filter (where part = 'numerator') as numerators,
        count(*) filter (where part = 'denominator') as denominators,
        any_value(part_value) filter (where part = 'numerator') as numerator_value,
        any_value(part_value) filter (where part = 'denominator') as denominator_value
    from {{ ref('figure_parts') }}
    group by metric, scope, period
)

select
    shares.metric,
    shares.scope,
    shares.period,
    shares.value,
    parts.numerators,
    parts.denominators,
    {{ safe_share('parts.numerator_value', 'parts.denominator_value') }} as quotient_of_parts
from shares
left join parts
    on shares.metric = parts.metric
        and shares.scope = parts.scope
        and shares.period = parts.period
where parts.metric is null
    or parts.numerators <> 1
    or parts.denominators <> 1
    or (shares.value is null) <> ({{ safe_share('parts.numerator_value', 'parts.denominator_value') }} is null)
    or abs(shares.value - {{ safe_share('parts.numerator_value', 'parts.denominator_value') }}) > 1e-12
