{{ config(meta={'dagster': {'ref': {'name': 'sensitivity_figures'}}}) }}
-- sensitivity_figures holds every definition set, and its set in force gives the same figures as
-- headline_figures. Returns the disagreements.
{%- set n_sets = europe_definitions() | length * ai_definitions() | length * risk_list_variants() | length
    + risk_evidences() | length - 1 + country_attributions() | length - 1 %}
with sensitivity as (
    select * from {{ ref('sensitivity_figures') }}
),

headline as (
    select * from {{ ref('headline_figures') }}
),

mismatches as (
    select
        sensitivity.metric,
        sensitivity.scope,
        sensitivity.period,
        sensitivity.value as sensitivity_value,
        headline.value as headline_value
    from sensitivity
    left join headline
        on sensitivity.metric = headline.metric
            and sensitivity.scope = headline.scope
            and sensitivity.period = headline.period
    where sensitivity.is_definition_in_force
        and (
            headline.metric is null
            or not (
                (sensitivity.value is null and headline.value is null)
                or abs(sensitivity.value - headline.value) < 1e-9
            )
        )
),

set_count as (
    select
        'definition sets' as metric,
        'ALL' as scope,
        'ALL' as period,
        count(distinct definition_set)::double as sensitivity_value,
        {{ n_sets }}::double as headline_value
    from sensitivity
    having count(distinct definition_set) <> {{ n_sets }}
        or count(distinct definition_set) filter (where is_definition_in_force) <> 1
)

select * from mismatches
union all
select * from set_count
