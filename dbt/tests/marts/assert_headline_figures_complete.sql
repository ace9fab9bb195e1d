{{ config(meta={'dagster': {'ref': {'name': 'headline_figures'}}}) }}
-- Every metric STUDY.md names is in headline_figures for every year / the span it lists, for every European
-- country where it is per country. Returns the missing (metric, scope, period).
with years as (
    select range::varchar as period
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
),

span as (
    select '{{ study_span() }}' as period
),

-- The European countries under the definition in force (agg_country_year has one row per country and year).
countries as (
    select distinct scope from {{ ref('agg_country_year') }} where scope_type = 'country'
),

required as (
    select metrics.metric, 'EUROPE' as scope, years.period
    from (values ('eu_cn_works'), ('europe_ai_works'), ('europe_share_with_cn')) as metrics (metric)
    cross join years
    union all
    select 'eu_cn_works', 'EUROPE', span.period from span
    union all
    select metrics.metric, 'CN', years.period
    from (values ('cn_ai_works'), ('cn_share_with_europe')) as metrics (metric)
    cross join years
    union all
    select metrics.metric, countries.scope, years.period
    from (values ('country_ai_works'), ('country_share_with_cn')) as metrics (metric)
    cross join countries
    cross join years
    union all
    select metrics.metric, countries.scope, span.period
    from (values ('cn_share_with_country'), ('country_share_of_eu_cn_works')) as metrics (metric)
    cross join countries
    cross join span
    union all
    select metrics.metric, 'EUROPE', span.period
    from (
        values
        ('eu_cn_works_with_pla'), ('eu_cn_works_defence_linked'), ('eu_cn_share_defence_linked'),
        ('eu_cn_works_funding_disclosed'), ('share_china_funded_of_disclosed'),
        ('share_china_gov_funded_of_disclosed'), ('eu_cn_works_defence_programme_funded')
    ) as metrics (metric)
    cross join span
    union all
    select 'top{{ var("top_links_n") }}_links_involving_tum', '{{ var("top_links_country") }}-CN', span.period from span
)

select required.*
from required
left join {{ ref('headline_figures') }} as headline
    on required.metric = headline.metric
        and required.scope = headline.scope
        and required.period = headline.period
where headline.metric is null
