{{ config(materialized='view') }}
-- Units (labs, colleges, institutes) whose ROR parent is a risk-list entity: one row per unit × parent entity.
with source as (
    select * from {{ ref('risk_entity_units') }}
)

select
    {{ ror_short_id(clean_text('unit_ror_id')) }} as unit_ror_id,
    {{ clean_text('unit_name') }} as unit_name,
    {{ ror_short_id(clean_text('parent_ror_id')) }} as parent_ror_id,
    {{ clean_text('parent_entity_id') }} as parent_entity_id,
    {{ clean_text('relationship_source') }} as relationship_source
from source
where {{ clean_text('unit_ror_id') }} is not null
