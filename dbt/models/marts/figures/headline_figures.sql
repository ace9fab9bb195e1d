-- The study's headline numbers as one long table: one row per (metric, scope, period).
with works as (
    select * from {{ ref('int_works_classified') }}
    where is_in_scope and is_ai
),

years as (
    select range as publication_year
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
),

per_year as (
    select
        years.publication_year,
        count(works.work_id) filter (where works.is_eu_cn) as eu_cn_works,
        count(works.work_id) filter (where works.has_europe) as europe_ai_works,
        count(works.work_id) filter (where works.has_cn) as cn_ai_works
    from years
    left join works
        on years.publication_year = works.publication_year
    group by years.publication_year
),

long as (
    select 'eu_cn_works' as metric, 'EUROPE' as scope, publication_year::varchar as period, eu_cn_works::double as value, 'works' as unit from per_year
    union all
    select 'eu_cn_works', 'EUROPE', '{{ var("study_start_year") }}-{{ var("study_end_year") }}', sum(eu_cn_works)::double, 'works' from per_year
    union all
    select 'europe_ai_works', 'EUROPE', publication_year::varchar, europe_ai_works::double, 'works' from per_year
    union all
    select 'europe_share_with_cn', 'EUROPE', publication_year::varchar, eu_cn_works / nullif(europe_ai_works, 0), 'share' from per_year
    union all
    select 'cn_ai_works', 'CN', publication_year::varchar, cn_ai_works::double, 'works' from per_year
    union all
    select 'cn_share_with_europe', 'CN', publication_year::varchar, eu_cn_works / nullif(cn_ai_works, 0), 'share' from per_year
)

select
    metric,
    scope,
    period,
    value,
    unit,
    {{ dataset_label() }} as dataset_label
from long
