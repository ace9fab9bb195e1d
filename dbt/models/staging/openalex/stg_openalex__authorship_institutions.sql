-- One row per work × authorship × institution. Authorships without institutions add no row.
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
)

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
