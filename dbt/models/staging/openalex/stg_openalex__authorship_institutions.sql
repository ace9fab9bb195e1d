-- One row per work × authorship × institution. Authorships without institutions add no row. A stripped
-- institution object is filled from the institution's record (is_filled).
{{ config(**per_work_incremental_config()) }}
-- Built after the ISO 3166 seed its country_code test reads, so that a failing test holds back every model
-- built from this one (dbt gates only the descendants of all of a test's parents).
-- depends_on: {{ ref('iso_3166_countries') }}
with works as (
    select work_id, authorships, _built_at
    from {{ ref('base_openalex__works') }}
    where {{ built_since_last_run() }}
),

authorships as (
    select
        work_id,
        _built_at,
        unnest(authorships) as authorship,
        generate_subscripts(authorships, 1) as author_position
    from works
),

institutions as (
    select
        work_id,
        _built_at,
        author_position,
        {{ openalex_short_id('authorship.author.id') }} as author_id,
        unnest(authorship.institutions) as institution,
        generate_subscripts(authorship.institutions, 1) as institution_position
    from authorships
),

as_listed as (
    select
        work_id,
        author_position,
        institution_position,
        author_id,
        {{ openalex_short_id('institution.id') }} as institution_id,
        institution.display_name as institution_name,
        {{ ror_short_id('institution.ror') }} as ror_id,
        upper(nullif(trim(institution.country_code), '')) as country_code,
        institution.type as institution_type,
        list_filter(
            list_transform(coalesce(institution.lineage, []), lambda l: {{ openalex_short_id('l') }}),
            lambda l: l is not null
        ) as lineage_ids,
        _built_at
    from institutions
    where institution.id is not null or institution.country_code is not null
),

-- Some records carry stripped institution objects (an id, no country, ROR or lineage): what the work does not
-- state is taken from the institution's own record, and what it states is never replaced.
institution_records as (
    select institution_id, institution_name, ror_id, country_code, institution_type, lineage_ids
    from {{ ref('stg_openalex__institutions') }}
)

select
    as_listed.work_id,
    as_listed.author_position,
    as_listed.institution_position,
    as_listed.author_id,
    as_listed.institution_id,
    coalesce(as_listed.institution_name, institution_records.institution_name) as institution_name,
    coalesce(as_listed.ror_id, institution_records.ror_id) as ror_id,
    coalesce(as_listed.country_code, institution_records.country_code) as country_code,
    coalesce(as_listed.institution_type, institution_records.institution_type) as institution_type,
    case
        when len(as_listed.lineage_ids) > 0 then as_listed.lineage_ids
        else coalesce(institution_records.lineage_ids, [])
    end as lineage_ids,
    as_listed.country_code is null and institution_records.country_code is not null as is_country_filled,
    (as_listed.country_code is null and institution_records.country_code is not null)
    or (as_listed.ror_id is null and institution_records.ror_id is not null)
    or (len(as_listed.lineage_ids) = 0 and len(coalesce(institution_records.lineage_ids, [])) > 0) as is_filled,
    as_listed._built_at
from as_listed
left join institution_records
    on as_listed.institution_id = institution_records.institution_id
