-- One row per work with at least one country: its countries, and whether it has European institutions under
-- every Europe definition (for sensitivity_figures) and Chinese institutions (var china_definition).
{{ config(**per_work_incremental_config()) }}
-- depends_on: {{ ref('base_openalex__works') }}  (its post-hook drops rows of works rebuilt since)
with affiliations as (
    select work_id, country_code, _built_at
    from {{ ref('stg_openalex__authorship_institutions') }}
    where {{ built_since_last_run() }}
        and country_code is not null
),

countries as (
    select * from {{ ref('stg_reference__countries') }}
),

joined as (
    select
        affiliations.work_id,
        affiliations.country_code,
        affiliations._built_at,
        coalesce(countries.is_european, false) as is_european,
        coalesce(countries.is_chinese, false) as is_chinese,
    {%- for d in europe_definitions() %}
    coalesce(countries.is_{{ d }}, false) as is_{{ d }}{{ ',' if not loop.last }}
    {%- endfor %}
    from affiliations
    left join countries
        on affiliations.country_code = countries.country_code
)

select
    work_id,
    list(distinct country_code order by country_code) as countries,
    coalesce(list(distinct country_code order by country_code) filter (where is_european), []) as european_countries,
    coalesce(list(distinct country_code order by country_code) filter (where is_chinese), []) as chinese_countries,
    bool_or(is_european) as has_europe,
    bool_or(is_chinese) as has_cn,
    {%- for d in europe_definitions() %}
    bool_or(is_{{ d }}) as has_{{ d }}{{ ',' if not loop.last }}
    {%- endfor %},
    any_value(_built_at) as _built_at
from joined
group by work_id
