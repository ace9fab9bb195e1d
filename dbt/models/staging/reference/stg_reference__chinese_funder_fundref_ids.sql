{{ config(materialized='view') }}
-- Crossref Funder Registry (FundRef) ids of the Chinese funders: one row per FundRef id × funder.
with source as (
    select * from {{ ref('chinese_funder_fundref_ids') }}
)

select
    regexp_extract({{ clean_text('fundref_id') }}, '([0-9]+)/?$', 1) as fundref_id,
    {{ ror_short_id(clean_text('ror_id')) }} as ror_id,
    coalesce({{ to_bool('is_preferred') }}, false) as is_preferred
from source
where {{ clean_text('fundref_id') }} is not null
