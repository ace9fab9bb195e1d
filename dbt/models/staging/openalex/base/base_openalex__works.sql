-- One row per work: the record with the latest updated_date wins (ties: the later partition, then file).
-- The winner is picked on narrow columns and the full (nested) record fetched by rowid afterwards: ranking
-- whole records costs three times as much at a million works.
--
-- Incremental: a rebuild re-ranks only the works touched since the last one (a version loaded after it, or a
-- winning record whose raw file was replaced or removed), over all of their versions, so the rule stays exact.
-- The post-hook drops works none of whose versions is left in the raw layer.
{{ config(
    materialized='incremental',
    unique_key='work_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="delete from {{ this }} as built where not exists (select 1 from {{ source('openalex', 'works') }} as raw where raw._file = built._file and raw._loaded_at = built._loaded_at and raw.id = built.id)"
) }}
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
        _file,
        _loaded_at
    from source
),

{% if is_incremental() %}
built as (
    select work_id, _file, _loaded_at from {{ this }}
),

touched as (
    select work_id
    from versions
    where _loaded_at > (select max(_loaded_at) from built)

    union

    select built.work_id
    from built
    anti join versions
        on built.work_id = versions.work_id
        and built._file = versions._file
        and built._loaded_at = versions._loaded_at
),

candidates as (
    select versions.*
    from versions
    semi join touched
        on versions.work_id = touched.work_id
),
{% else %}
candidates as (
    select * from versions
),
{% endif %}

ranked as (
    select
        raw_rowid,
        work_id,
        row_number() over (
            partition by work_id
            order by updated_at desc nulls last, _partition desc nulls last, _file desc
        ) as version_rank,
        count(*) over (partition by work_id) as versions_seen
    from candidates
),

winners as (
    select raw_rowid, work_id, versions_seen
    from ranked
    where version_rank = 1
)

select
    source.* exclude (raw_rowid),
    winners.work_id,
    winners.versions_seen,
    -- When this row was (re)built: the per-work models rebuild the works built after their own last build.
    current_timestamp::timestamp as _built_at
from source
inner join winners
    on source.raw_rowid = winners.raw_rowid
