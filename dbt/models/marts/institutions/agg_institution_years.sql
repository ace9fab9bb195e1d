-- One row per profiled European institution (on at least one Europe–China AI work, directly) × study year: its
-- own AI output, its Europe–China works (split by the Chinese side's risk level, for a stacked chart) and the
-- share. With the API source only Europe–China works are fetched, so its AI output is unknown: NULL, not a
-- count of the fetched works.
with institution_works as (
    select * from {{ ref('fct_institution_eu_cn_works') }}
),

profiled as (
    select
        institution_id,
        any_value(institution_ror) as institution_ror,
        any_value(institution_name) as institution_name,
        any_value(country_code) as country_code
    from institution_works
    group by institution_id
),

count_mode as (
    select count(*) > 0 as uses_api_counts from {{ ref('stg_openalex__work_counts') }}
),

ai_output as (
    select
        work_institutions.institution_id,
        works.publication_year,
        count(distinct works.work_id) as ai_works
    from {{ ref('int_work_institutions_classified') }} as work_institutions
    inner join {{ ref('int_works_classified') }} as works
        on work_institutions.work_id = works.work_id
    semi join profiled
        on work_institutions.institution_id = profiled.institution_id
    where works.is_in_scope and works.is_ai
    group by all
),

eu_cn as (
    select
        institution_id,
        publication_year,
        count(distinct work_id) as eu_cn_works,
        count(distinct work_id) filter (where has_pla) as eu_cn_works_with_pla,
        count(distinct work_id) filter (where has_defence_linked) as eu_cn_works_defence_linked,
        count(distinct work_id) filter (where has_security_linked) as eu_cn_works_security_linked,
    {%- for level in risk_levels() %}
    count(distinct work_id) filter (where risk_level = '{{ level }}') as eu_cn_works_risk_{{ level }}{{ ',' if not loop.last }}
    {%- endfor %}
    from institution_works
    group by all
),

years as (
    select range::integer as publication_year
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
),

grid as (
    select
        profiled.institution_id,
        profiled.institution_ror,
        profiled.institution_name,
        profiled.country_code,
        years.publication_year,
        case when count_mode.uses_api_counts then null else coalesce(ai_output.ai_works, 0) end as ai_works,
        coalesce(eu_cn.eu_cn_works, 0) as eu_cn_works,
        coalesce(eu_cn.eu_cn_works_with_pla, 0) as eu_cn_works_with_pla,
        coalesce(eu_cn.eu_cn_works_defence_linked, 0) as eu_cn_works_defence_linked,
        coalesce(eu_cn.eu_cn_works_security_linked, 0) as eu_cn_works_security_linked,
        {%- for level in risk_levels() %}
        coalesce(eu_cn.eu_cn_works_risk_{{ level }}, 0) as eu_cn_works_risk_{{ level }},
        {%- endfor %}
        case when count_mode.uses_api_counts then 'unknown_api_source' else 'works' end as ai_works_source
    from profiled
    cross join years
    cross join count_mode
    left join ai_output
        on profiled.institution_id = ai_output.institution_id
            and years.publication_year = ai_output.publication_year
    left join eu_cn
        on profiled.institution_id = eu_cn.institution_id
            and years.publication_year = eu_cn.publication_year
)

select
    institution_id,
    institution_ror,
    institution_name,
    country_code,
    publication_year,
    ai_works,
    eu_cn_works,
    {{ safe_share('eu_cn_works', 'ai_works') }} as share_of_ai_works_with_cn,
    eu_cn_works_with_pla,
    eu_cn_works_defence_linked,
    eu_cn_works_security_linked,
    {%- for level in risk_levels() %}
    eu_cn_works_risk_{{ level }},
    {%- endfor %}
    ai_works_source,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from grid
