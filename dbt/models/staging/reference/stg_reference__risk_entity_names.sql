{{ config(materialized='view') }}
-- The names the affiliation-text matcher looks for: each risk-list entity's English names, aliases, former names,
-- Chinese names and acronyms (its units' names map to it), normalised and classed (seed risk_entity_names).
with source as (
    select * from {{ ref('risk_entity_names') }}
)

select
    {{ clean_text('entity_id') }} as entity_id,
    {{ ror_short_id(clean_text('unit_ror_id')) }} as unit_ror_id,
    {{ clean_text('name') }} as name,
    name_normalised,
    {{ clean_text('script') }} as script,
    {{ clean_text('name_kind') }} as name_kind,
    coalesce({{ to_bool('is_ambiguous') }}, false) as is_ambiguous,
    {{ clean_text('source') }} as source
from source
where {{ clean_text('entity_id') }} is not null
