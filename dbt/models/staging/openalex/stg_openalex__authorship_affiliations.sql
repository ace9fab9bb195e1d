-- One row per work × authorship × raw affiliation string (the affiliation as the paper printed it), with the
-- institutions OpenAlex resolved that string to. Strings come from `affiliations` (each with its institution
-- ids) when the record has it, else from `raw_affiliation_strings`, else from the older `raw_affiliation_string`.
-- Without per-string ids an authorship's only string takes the authorship's institutions, and each of several
-- strings takes them all (is_resolved_per_string = false).
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

per_string_records as (
    select
        work_id,
        _built_at,
        author_position,
        {{ openalex_short_id('authorship.author.id') }} as author_id,
        unnest(authorship.affiliations) as affiliation,
        generate_subscripts(authorship.affiliations, 1) as string_position
    from authorships
    where len(authorship.affiliations) > 0
),

per_string as (
    select
        work_id,
        author_position,
        string_position,
        author_id,
        affiliation.raw_affiliation_string,
        list_filter(
            list_transform(coalesce(affiliation.institution_ids, []), lambda i: {{ openalex_short_id('i') }}),
            lambda i: i is not null
        ) as resolved_institution_ids,
        true as is_resolved_per_string,
        _built_at
    from per_string_records
),

string_lists as (
    select
        work_id,
        _built_at,
        author_position,
        {{ openalex_short_id('authorship.author.id') }} as author_id,
        list_filter(
            coalesce(authorship.raw_affiliation_strings, [authorship.raw_affiliation_string]),
            lambda s: nullif(trim(s), '') is not null
        ) as strings,
        list_filter(
            list_transform(coalesce(authorship.institutions, []), lambda i: {{ openalex_short_id('i.id') }}),
            lambda i: i is not null
        ) as institution_ids
    from authorships
    where coalesce(len(authorship.affiliations), 0) = 0
),

per_authorship as (
    select
        work_id,
        author_position,
        generate_subscripts(strings, 1) as string_position,
        author_id,
        unnest(strings) as raw_affiliation_string,
        institution_ids as resolved_institution_ids,
        len(strings) = 1 as is_resolved_per_string,
        _built_at
    from string_lists
    where len(strings) > 0
),

unioned as (
    select * from per_string
    union all by name
    select * from per_authorship
)

select
    work_id,
    author_position,
    string_position,
    author_id,
    raw_affiliation_string,
    resolved_institution_ids,
    is_resolved_per_string,
    _built_at
from unioned
where nullif(trim(raw_affiliation_string), '') is not null
