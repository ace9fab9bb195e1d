{{ config(materialized='view') }}
-- The curated Chinese funders list: one row per funder (ROR id), government and defence flags typed.
with source as (
    select * from {{ ref('chinese_funders') }}
)

select
    {{ ror_short_id(clean_text('ror_id')) }} as ror_id,
    {{ clean_text('name') }} as funder_name,
    {{ clean_text('name_zh') }} as funder_name_zh,
    {{ clean_text('acronyms') }} as acronyms,
    {{ clean_text('funder_category') }} as funder_category,
    {{ clean_text('government_level') }} as government_level,
    coalesce({{ to_bool('is_chinese_government') }}, false) as is_chinese_government,
    coalesce({{ to_bool('is_defence_related') }}, false) as is_defence_related,
    {{ clean_text('fundref_preferred') }} as fundref_preferred,
    {{ clean_text('fundref_all') }} as fundref_all,
    {{ clean_text('notes') }} as notes
from source
where {{ clean_text('ror_id') }} is not null
