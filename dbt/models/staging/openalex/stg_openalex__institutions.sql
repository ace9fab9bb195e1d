-- One row per OpenAlex institution: the record with the latest updated_date wins.
with source as (
    select * from {{ source('openalex', 'institutions') }}
),

renamed as (
    select
        {{ openalex_short_id('id') }} as institution_id,
        display_name as institution_name,
        {{ ror_short_id('ror') }} as ror_id,
        upper(nullif(trim(country_code), '')) as country_code,
        type as institution_type,
        list_filter(
            list_transform(coalesce(lineage, []), lambda l: {{ openalex_short_id('l') }}),
            lambda l: l is not null
        ) as lineage_ids,
        try_cast(updated_date as timestamp) as updated_at,
        _partition,
        _file as raw_file
    from source
),

latest as (
    select *
    from renamed
    where institution_id is not null
    qualify row_number() over (
            partition by institution_id
            order by updated_at desc nulls last, _partition desc nulls last, raw_file desc
        ) = 1
)

select
    institution_id,
    institution_name,
    ror_id,
    country_code,
    institution_type,
    -- Lineage always contains the institution itself; an empty lineage means "just itself".
    case when len(lineage_ids) = 0 then [institution_id] else lineage_ids end as lineage_ids,
    list_filter(lineage_ids, lambda l: l <> institution_id) as ancestor_ids,
    updated_at,
    raw_file
from latest
