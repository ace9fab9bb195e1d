{{ config(materialized='view') }}
-- Names of mainland China, its provinces and cities, and of Hong Kong, Macao and Taiwan (kept apart), by which an
-- affiliation string places its author (seed china_places).
with source as (
    select * from {{ ref('china_places') }}
)

select
    name_normalised,
    {{ clean_text('name') }} as name,
    {{ clean_text('script') }} as script,
    {{ clean_text('kind') }} as place_kind,
    upper({{ clean_text('region_code') }}) as region_code,
    upper({{ clean_text('region_code') }}) = 'CN' as is_mainland
from source
where name_normalised is not null
