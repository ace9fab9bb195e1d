-- One row per work of the study's universe: the version with the latest updated_date wins (ties: the later
-- partition, then file), and the work is kept only if that winning version is in the universe. The ranking runs
-- over raw.work_versions (a thin row for every version read, in the universe or not), so a newer version that
-- left the universe still supersedes an older one inside it; the winner's full record is then fetched from
-- raw.works, which holds the universe's versions only.
--
-- Incremental: a rebuild re-ranks only the works touched since the last one (a version loaded after it, or a
-- winning record whose raw file was replaced or removed), over all of their versions, so the rule stays exact.
-- A built work whose new winner is outside the universe comes out as an empty row (no raw record), which
-- replaces its old row and is then dropped by the post-hook, as is a work none of whose versions is left.
{{ config(
    materialized='incremental',
    unique_key='work_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="delete from {{ this }} as built where not exists (select 1 from {{ source('openalex', 'works') }} as raw where raw._file = built._file and raw._loaded_at = built._loaded_at and raw.id = built.id)"
) }}

with versions as (
    select
        {{ openalex_short_id('id') }} as work_id,
        id,
        updated_date,
        try_cast(updated_date as timestamp) as updated_at,
        in_universe,
        _partition,
        _file,
        _loaded_at
    from {{ source('openalex', 'work_versions') }}
),

{% if is_incremental() %}
built as (
    select work_id, _file, _loaded_at from {{ this }}
),

touched as (
    select work_id
    from versions
    where versions._loaded_at > (select coalesce(max(built._loaded_at), '-infinity'::timestamp) from built)

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
        *,
        row_number() over (
            partition by work_id
            order by updated_at desc nulls last, _partition desc nulls last, _file desc
        ) as version_rank,
        count(*) over (partition by work_id) as versions_seen
    from candidates
),

winners as (
    select *
    from ranked
    where version_rank = 1
        and (
            in_universe
            {% if is_incremental() %}
            -- an empty row replaces a built work whose new winner left the universe
            or work_id in (select built.work_id from built)
            {% endif %}
        )
)

select
    source.*,
    winners.work_id,
    winners.versions_seen,
    -- When this row was (re)built: the per-work models rebuild the works built after their own last build.
    current_timestamp::timestamp as _built_at
from winners
-- raw.works holds the universe's versions only, so a winner outside it finds no record. (Saying
-- `winners.in_universe` here as well, a condition on one side, turned the join into a nested loop: 46 s against
-- 2 s for 100k works.)
left join {{ source('openalex', 'works') }} as source
    on winners.id = source.id
        and winners._file = source._file
        and winners._loaded_at = source._loaded_at
        and winners.updated_date is not distinct from source.updated_date
-- a file holding the very same version of a work twice gives it once
qualify row_number() over (partition by winners.work_id) = 1
