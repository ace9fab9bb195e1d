-- One row per OpenAlex funder: the record with the latest updated_date wins.
with source as (
    select * from {{ source('openalex', 'funders') }}
),

renamed as (
    select
        {{ openalex_short_id('id') }} as funder_id,
        display_name as funder_name,
        upper(nullif(trim(country_code), '')) as country_code,
        {{ ror_short_id('ids.ror') }} as ror_id,
        -- Crossref Funder Registry (FundRef) id: digits only, with or without the 10.13039 DOI prefix.
        nullif(regexp_extract(coalesce(ids.crossref, ids.doi, ''), '([0-9]+)/?$', 1), '') as crossref_funder_id,
        coalesce(alternate_titles, []) as alternate_titles,
        try_cast(updated_date as timestamp) as updated_at,
        _partition,
        _file as raw_file
    from source
)

select
    funder_id,
    funder_name,
    country_code,
    ror_id,
    crossref_funder_id,
    alternate_titles,
    updated_at,
    raw_file
from renamed
where funder_id is not null
qualify row_number() over (
        partition by funder_id
        order by updated_at desc nulls last, _partition desc nulls last, raw_file desc
    ) = 1
