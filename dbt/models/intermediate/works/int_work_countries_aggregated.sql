-- One row per work with at least one country (by either attribution): its countries, and whether it has European institutions under
-- every Europe definition (for sensitivity_figures) and Chinese institutions (var china_definition), by each
-- country attribution: `by_institutions` (its institutions' countries) and `with_authorship_countries` (also
-- OpenAlex's authorships[].countries, which it infers from the affiliation strings too). The unsuffixed flags and
-- lists follow the attribution in force (var country_attribution).
{{ config(**per_work_incremental_config()) }}
-- depends_on: {{ ref('base_openalex__works') }}  (its post-hook drops rows of works rebuilt since)
{%- set with_authorships = var('country_attribution') == 'institutions_and_authorship_countries' %}
{%- if var('country_attribution') not in var('country_attributions') %}
{{ exceptions.raise_compiler_error("unknown country_attribution '" ~ var('country_attribution') ~ "'") }}
{%- endif %}
with institution_countries as (
    select work_id, country_code, true as is_from_institution, _built_at
    from {{ ref('stg_openalex__authorship_institutions') }}
    where {{ built_since_last_run() }}
        and country_code is not null
),

authorship_countries as (
    select work_id, unnest(country_codes) as country_code, false as is_from_institution, _built_at
    from {{ ref('stg_openalex__authorships') }}
    where {{ built_since_last_run() }}
),

affiliations as (
    select * from institution_countries
    union all
    select * from authorship_countries
),

countries as (
    select * from {{ ref('stg_reference__countries') }}
),

joined as (
    select
        affiliations.work_id,
        affiliations.country_code,
        affiliations.is_from_institution,
        affiliations._built_at,
        coalesce(countries.is_european, false) as is_european,
        coalesce(countries.is_chinese, false) as is_chinese,
    {%- for d in europe_definitions() %}
    coalesce(countries.is_{{ d }}, false) as is_{{ d }}{{ ',' if not loop.last }}
    {%- endfor %}
    from affiliations
    left join countries
        on affiliations.country_code = countries.country_code
),

aggregated as (
    select
        work_id,
        coalesce(list(distinct country_code order by country_code) filter (where is_from_institution), [])
            as countries_by_institutions,
        list(distinct country_code order by country_code) as countries_with_authorship_countries,
        coalesce(list(distinct country_code order by country_code) filter (where is_european and is_from_institution), [])
            as european_countries_by_institutions,
        coalesce(list(distinct country_code order by country_code) filter (where is_european), [])
            as european_countries_with_authorship_countries,
        coalesce(list(distinct country_code order by country_code) filter (where is_chinese and is_from_institution), [])
            as chinese_countries_by_institutions,
        coalesce(list(distinct country_code order by country_code) filter (where is_chinese), [])
            as chinese_countries_with_authorship_countries,
        coalesce(bool_or(is_european and is_from_institution), false) as has_europe_by_institutions,
        bool_or(is_european) as has_europe_with_authorship_countries,
        coalesce(bool_or(is_chinese and is_from_institution), false) as has_cn_by_institutions,
        bool_or(is_chinese) as has_cn_with_authorship_countries,
        {%- for d in europe_definitions() %}
        coalesce(bool_or(is_{{ d }} and is_from_institution), false) as has_{{ d }}_by_institutions,
        bool_or(is_{{ d }}) as has_{{ d }}_with_authorship_countries,
        {%- endfor %}
        any_value(_built_at) as _built_at
    from joined
    group by work_id
)

{%- set attribution = 'with_authorship_countries' if with_authorships else 'by_institutions' %}

select
    work_id,
    countries_{{ attribution }} as countries,
    european_countries_{{ attribution }} as european_countries,
    chinese_countries_{{ attribution }} as chinese_countries,
    has_europe_{{ attribution }} as has_europe,
    has_cn_{{ attribution }} as has_cn,
    {%- for d in europe_definitions() %}
    has_{{ d }}_{{ attribution }} as has_{{ d }},
    {%- endfor %}
    has_cn_by_institutions,
    has_cn_with_authorship_countries,
    {%- for d in europe_definitions() %}
    has_{{ d }}_by_institutions,
    has_{{ d }}_with_authorship_countries,
    {%- endfor %}
    _built_at
from aggregated
