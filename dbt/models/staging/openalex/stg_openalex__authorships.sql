-- One row per work × authorship (1-based position in the work's author list).
{{ config(**per_work_incremental_config()) }}
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

renamed as (
    select
        work_id,
        _built_at,
        author_position,
        authorship.author_position as author_position_label,
        {{ openalex_short_id('authorship.author.id') }} as author_id,
        authorship.author.display_name as author_name,
        coalesce(len(authorship.institutions), 0) as institution_count,
        list_sort(list_distinct(list_filter(
            list_concat(
                coalesce(authorship.countries, []),
                list_transform(coalesce(authorship.institutions, []), lambda i: i.country_code)
            ),
            lambda c: c is not null
        ))) as country_codes
    from authorships
)

select
    work_id,
    author_position,
    author_position_label,
    author_id,
    author_name,
    institution_count,
    list_transform(country_codes, lambda c: upper(c)) as country_codes,
    _built_at
from renamed
