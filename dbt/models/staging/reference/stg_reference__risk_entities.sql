{{ config(materialized='view') }}
-- The risk-list entities (PLA system, Seven Sons, nuclear programme, defence agencies and conglomerates,
-- security bodies, ASPI-tracked universities) with typed flags and 9-character ROR ids.
with source as (
    select * from {{ ref('risk_entities') }}
)

select
    {{ clean_text('entity_id') }} as entity_id,
    {{ ror_short_id(clean_text('ror_id')) }} as ror_id,
    {{ clean_text('name_en') }} as entity_name,
    {{ clean_text('name_zh') }} as entity_name_zh,
    {{ clean_text('entity_group') }} as entity_group,
    lower({{ clean_text('aspi_risk_level') }}) as aspi_risk_level,
    {{ clean_text('aspi_risk_level_source') }} as aspi_risk_level_source,
    coalesce({{ to_bool('is_pla') }}, false) as is_pla,
    coalesce({{ to_bool('is_defence_linked') }}, false) as is_defence_linked,
    coalesce({{ to_bool('is_security_linked') }}, false) as is_security_linked,
    coalesce({{ to_bool('is_aspi_very_high') }}, false) as is_aspi_very_high,
    {{ clean_text('tags') }} as tags,
    {{ clean_text('source_lists') }} as source_lists,
    {{ clean_text('source_url') }} as source_url,
    {{ clean_text('as_of_date') }} as as_of_date,
    coalesce({{ to_bool('lists_disagree') }}, false) as lists_disagree,
    {{ clean_text('disagreement_note') }} as disagreement_note
from source
where {{ clean_text('entity_id') }} is not null
