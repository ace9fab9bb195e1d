{{ config(materialized='view') }}
-- Dual-use research areas and how to recognise them: an OpenAlex topic id, a keyword id, or a name pattern.
with source as (
    select * from {{ ref('dual_use_topics') }}
)

select
    {{ clean_text('dual_use_area') }} as dual_use_area,
    lower({{ clean_text('match_type') }}) as match_type,
    case
        when lower({{ clean_text('match_type') }}) in ('topic_id', 'keyword_id')
            then {{ openalex_short_id(clean_text('match_value')) }}
        else {{ clean_text('match_value') }}
    end as match_value,
    {{ clean_text('note') }} as note
from source
where {{ clean_text('match_value') }} is not null
