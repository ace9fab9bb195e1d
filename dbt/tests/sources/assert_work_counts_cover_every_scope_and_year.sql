-- The API's denominators are complete: EUROPE, CN and every country ORed into the Europe filter (the fetch reads
-- that list from the countries seed and records it in the EUROPE rows' query), each with a row for every study
-- year. An empty table passes: only the api source lands counts.
with counts as (
    select
        upper(trim(scope)) as scope,
        publication_year,
        query
    from {{ source('openalex', 'work_counts') }}
),

europe_filters as (
    select distinct regexp_extract(query, 'country_code:([A-Z|]+)', 1) as countries
    from counts
    where scope = 'EUROPE'
),

scopes as (
    select 'EUROPE' as scope
    union
    select 'CN' as scope
    union
    select unnest(string_split(countries, '|')) as scope
    from europe_filters
    where countries <> ''
),

years as (
    select range::integer as publication_year
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
),

expected as (
    select
        scopes.scope,
        years.publication_year
    from scopes
    cross join years
    where exists (select 1 from counts)
)

select
    expected.scope,
    expected.publication_year
from expected
left join counts
    on expected.scope = counts.scope
        and expected.publication_year = counts.publication_year
where counts.scope is null
