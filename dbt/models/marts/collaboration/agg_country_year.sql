-- AI output and collaboration per scope and year: one row per European country (var europe_definition) and
-- year, plus rows for EUROPE as a whole and for CN. `partner_works` are the scope's AI works with the other
-- side (a Chinese institution for European scopes, a European one for CN).
-- ai_works_index / partner_works_index: growth with the first study year = 100 (EUROPE's partner_works_index
-- is the growth of the Europe–China works).
-- Denominators (ai_works): counted from the works, or, when the source is the API (only Europe–China works
-- are fetched), taken from the API's group_by counts (stg_openalex__work_counts has rows).
with works as (
    select work_id, publication_year, european_countries, has_europe, has_cn, is_eu_cn
    from {{ ref('int_works_classified') }}
    where is_in_scope and is_ai
),

api_counts as (
    select * from {{ ref('stg_openalex__work_counts') }}
),

count_mode as (
    select count(*) > 0 as uses_api_counts from api_counts
),

years as (
    select range::integer as publication_year
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
),

scopes as (
    select country_code as scope, 'country' as scope_type, country_name as scope_name
    from {{ ref('stg_reference__countries') }}
    where is_european
    union all
    select 'EUROPE', 'europe', 'Europe ({{ var("europe_definition") }})'
    union all
    select 'CN', 'china', 'China ({{ var("china_definition") }})'
),

grid as (
    select scopes.*, years.publication_year
    from scopes
    cross join years
),

work_countries as (
    select work_id, publication_year, has_cn, unnest(european_countries) as scope
    from works
),

counted as (
    select scope, publication_year, count(*) as ai_works, count(*) filter (where has_cn) as partner_works
    from work_countries
    group by scope, publication_year

    union all

    select 'EUROPE', publication_year, count(*) filter (where has_europe), count(*) filter (where is_eu_cn)
    from works
    group by publication_year

    union all

    select 'CN', publication_year, count(*) filter (where has_cn), count(*) filter (where is_eu_cn)
    from works
    group by publication_year
),

combined as (
    select
        grid.scope,
        grid.scope_type,
        grid.scope_name,
        grid.publication_year,
        coalesce(counted.ai_works, 0) as ai_works_counted,
        coalesce(counted.partner_works, 0) as partner_works,
        api_counts.works_count as ai_works_api,
        count_mode.uses_api_counts
    from grid
    cross join count_mode
    left join counted
        on grid.scope = counted.scope and grid.publication_year = counted.publication_year
    left join api_counts
        on grid.scope = api_counts.scope and grid.publication_year = api_counts.publication_year
),

figures as (
    select
        scope,
        scope_type,
        scope_name,
        publication_year,
        case when uses_api_counts then ai_works_api else ai_works_counted end as ai_works,
        partner_works,
        {{ safe_share('partner_works', 'case when uses_api_counts then ai_works_api else ai_works_counted end') }} as share_with_partner,
        case when uses_api_counts then 'api_group_by' else 'works' end as denominator_source,
        {{ definition_columns() }},
        {{ dataset_label() }} as dataset_label
    from combined
)

-- Growth ("uneven partners"): index figures with the first study year = 100; NULL when that year is 0 or unknown.
select
    figures.*,
    100.0 * ai_works / nullif(first_value(ai_works) over by_scope, 0) as ai_works_index,
    100.0 * partner_works / nullif(first_value(partner_works) over by_scope, 0) as partner_works_index
from figures
window by_scope as (partition by scope order by publication_year)
