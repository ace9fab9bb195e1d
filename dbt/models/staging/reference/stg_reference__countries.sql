{{ config(materialized='view') }}
-- The countries seed with typed flags: one row per ISO 3166-1 alpha-2 code, as OpenAlex writes it (GB, GR).
with source as (
    select * from {{ ref('countries') }}
)

select
    upper({{ clean_text('iso2') }}) as country_code,
    upper({{ clean_text('iso3') }}) as iso3,
    {{ clean_text('name') }} as country_name,
    {{ clean_text('eu_code') }} as eu_code,
    coalesce({{ to_bool('eu27') }}, false) as is_eu27,
    coalesce({{ to_bool('eea') }}, false) as is_eea,
    coalesce({{ to_bool('efta') }}, false) as is_efta,
    coalesce({{ to_bool('uk') }}, false) as is_uk,
    {%- for d in europe_definitions() %}
    coalesce({{ to_bool(d) }}, false) as is_{{ d }},
    {%- endfor %}
    coalesce({{ to_bool(var('europe_definition')) }}, false) as is_european,
    coalesce({{ to_bool(var('china_definition')) }}, false) as is_chinese,
    coalesce({{ to_bool('china_mainland') }}, false) as is_china_mainland,
    coalesce({{ to_bool('china_incl_hk_mo') }}, false) as is_china_incl_hk_mo
from source
where {{ clean_text('iso2') }} is not null
