{{ config(materialized='view') }}
-- Funding programmes and the strings that identify them in funding data (names, acronyms, award-id prefixes).
with source as (
    select * from {{ ref('funding_programmes') }}
)

select
    {{ clean_text('programme_key') }} as programme_key,
    {{ clean_text('text') }} as match_text,
    {{ clean_text('lang') }} as lang,
    lower({{ clean_text('match_type') }}) as match_type,
    lower({{ clean_text('civil_or_defence') }}) as civil_or_defence,
    {{ clean_text('programme_key') }} in (
        {%- for k in var('defence_programme_keys') %}'{{ k }}'{{ ', ' if not loop.last }}{% endfor -%}
    ) as is_defence_programme,
    {{ clean_text('notes') }} as notes
from source
where {{ clean_text('text') }} is not null
