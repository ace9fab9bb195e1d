-- One row per work: the record with the latest updated_date wins (ties: the later partition, then file).
-- The winner is picked on narrow columns and the full (nested) record fetched by rowid afterwards: ranking
-- whole records costs three times as much at a million works.
{#- A unit test's given rows are a subquery, which has no rowid: there, a row number stands in. -#}
{%- set row_key = 'row_number() over ()' if model.resource_type == 'unit_test' else 'rowid' %}

-- not materialized: read twice, never copied whole.
with source as not materialized (
    select *, {{ row_key }} as raw_rowid from {{ source('openalex', 'works') }}
),

versions as (
    select
        raw_rowid,
        {{ openalex_short_id('id') }} as work_id,
        try_cast(updated_date as timestamp) as updated_at,
        _partition,
        _file
    from source
),

ranked as (
    select
        raw_rowid,
        work_id,
        row_number() over (
            partition by work_id
            order by updated_at desc nulls last, _partition desc nulls last, _file desc
        ) as version_rank,
        count(*) over (partition by work_id) as versions_seen
    from versions
),

winners as (
    select raw_rowid, work_id, versions_seen
    from ranked
    where version_rank = 1
)

select
    source.* exclude (raw_rowid),
    winners.work_id,
    winners.versions_seen
from source
inner join winners
    on source.raw_rowid = winners.raw_rowid
