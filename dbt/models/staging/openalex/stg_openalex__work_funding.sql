-- One row per work × funder × award, across OpenAlex's funding eras:
--   grants[]  {funder, funder_display_name, award_id}                       (2024 – Oct 2025)
--   funders[] {id, display_name, ror} + awards[] {id, display_name, funder_award_id, funder_id,
--             funder_display_name}                                           (2026; Nov 2025 has all three)
-- The same funding named in several fields (a grant and its award, a funder and its award) is one row.
-- A funder listed without an award is kept only when the work names no award of that funder.
{{ config(**per_work_incremental_config()) }}
with works as (
    select
        work_id,
        grants,
        funders,
        awards,
        {{ schema_era() }} as schema_era,
        _built_at
    from {{ ref('base_openalex__works') }}
    where {{ built_since_last_run() }}
        and (grants is not null or funders is not null or awards is not null)
),

grant_items as (
    select work_id, schema_era, _built_at, unnest(grants) as item from works where grants is not null
),

funder_items as (
    select work_id, schema_era, _built_at, unnest(funders) as item from works where funders is not null
),

award_items as (
    select work_id, schema_era, _built_at, unnest(awards) as item from works where awards is not null
),

unioned as (
    select
        work_id,
        schema_era,
        _built_at,
        'grants' as source_field,
        {{ openalex_short_id('item.funder') }} as funder_id,
        nullif(trim(item.funder_display_name), '') as funder_name,
        null::varchar as funder_ror_id,
        nullif(trim(item.award_id), '') as award_id,
        null::varchar as award_name,
        null::varchar as award_openalex_id
    from grant_items

    union all

    select
        work_id,
        schema_era,
        _built_at,
        'funders' as source_field,
        {{ openalex_short_id('item.id') }} as funder_id,
        nullif(trim(item.display_name), '') as funder_name,
        {{ ror_short_id('item.ror') }} as funder_ror_id,
        null::varchar as award_id,
        null::varchar as award_name,
        null::varchar as award_openalex_id
    from funder_items

    union all

    select
        work_id,
        schema_era,
        _built_at,
        'awards' as source_field,
        {{ openalex_short_id('item.funder_id') }} as funder_id,
        nullif(trim(item.funder_display_name), '') as funder_name,
        null::varchar as funder_ror_id,
        nullif(trim(item.funder_award_id), '') as award_id,
        nullif(trim(item.display_name), '') as award_name,
        {{ openalex_short_id('item.id') }} as award_openalex_id
    from award_items
),

keyed as (
    select
        *,
        coalesce(funder_id, lower(funder_name)) as funder_key,
        coalesce(lower(award_id), award_openalex_id, '') as award_key
    from unioned
    where coalesce(funder_id, funder_name, award_id, award_openalex_id, award_name) is not null
),

-- What is known of each funder of a work, from every field that names it.
funder_attributes as (
    select
        *,
        max(funder_id) over funder_window as work_funder_id,
        -- The funder's own name (funders[] / awards[]) before a grant's free-text funder name.
        coalesce(
            max(funder_name) filter (where source_field <> 'grants') over funder_window,
            max(funder_name) over funder_window
        ) as work_funder_name,
        max(funder_ror_id) over funder_window as work_funder_ror_id
    from keyed
    window funder_window as (partition by work_id, funder_key)
),

merged as (
    select
        work_id,
        funder_key,
        award_key,
        any_value(schema_era) as schema_era,
        any_value(_built_at) as _built_at,
        any_value(work_funder_id) as funder_id,
        any_value(work_funder_name) as funder_name,
        list_sort(list_distinct(list(funder_name) filter (where funder_name is not null))) as funder_name_variants,
        any_value(work_funder_ror_id) as funder_ror_id,
        max(award_id) as award_id,
        max(award_name) as award_name,
        max(award_openalex_id) as award_openalex_id,
        list_sort(list_distinct(list(source_field))) as source_fields
    from funder_attributes
    group by work_id, funder_key, award_key
),

with_award_flags as (
    select
        *,
        bool_or(award_key <> '') over (partition by work_id, funder_key) as funder_has_award
    from merged
)

select
    work_id || '|' || funder_key || '|' || award_key as funding_key,
    work_id,
    funder_id,
    funder_name,
    funder_name_variants,
    funder_ror_id,
    award_id,
    award_name,
    award_openalex_id,
    source_fields,
    schema_era,
    _built_at
from with_award_flags
where award_key <> '' or not funder_has_award
