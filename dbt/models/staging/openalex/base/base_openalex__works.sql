-- One row per work: the record with the latest updated_date wins (ties: the later partition, then file).
with source as (
    select * from {{ source('openalex', 'works') }}
),

ranked as (
    select
        *,
        {{ openalex_short_id('id') }} as work_id,
        row_number() over (
            partition by {{ openalex_short_id('id') }}
            order by try_cast(updated_date as timestamp) desc nulls last, _partition desc nulls last, _file desc
        ) as version_rank,
        count(*) over (partition by {{ openalex_short_id('id') }}) as versions_seen
    from source
)

select * exclude (version_rank)
from ranked
where version_rank = 1
