{{ config(meta={'dagster': {'ref': {'name': 'headline_figures'}}}) }}
-- Europe–China works can never outnumber Europe's AI output, nor China's, in any year.
with figures as (
    select metric, period, value
    from {{ ref('headline_figures') }}
    where metric in ('eu_cn_works', 'europe_ai_works', 'cn_ai_works')
),

by_period as (
    select
        period,
        max(value) filter (where metric = 'eu_cn_works') as eu_cn_works,
        max(value) filter (where metric = 'europe_ai_works') as europe_ai_works,
        max(value) filter (where metric = 'cn_ai_works') as cn_ai_works
    from figures
    group by period
)

select *
from by_period
where eu_cn_works > europe_ai_works or eu_cn_works > cn_ai_works
