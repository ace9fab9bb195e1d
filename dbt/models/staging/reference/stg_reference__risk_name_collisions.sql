{{ config(materialized='view') }}
-- Names that look like a listed entity's but name another body (CSIC, Northeastern University in Boston, …): the
-- matcher never credits a listed entity with a name inside one (seed risk_name_collisions).
with source as (
    select * from {{ ref('risk_name_collisions') }}
)

select
    name_normalised,
    {{ clean_text('name') }} as name,
    {{ clean_text('what_it_names') }} as what_it_names,
    upper({{ clean_text('country_code') }}) as country_code,
    {{ clean_text('why') }} as why,
    {{ clean_text('source') }} as source,
    string_split(coalesce({{ clean_text('resembles_entity_ids') }}, ''), '|') as resembles_entity_ids
from source
where name_normalised is not null
