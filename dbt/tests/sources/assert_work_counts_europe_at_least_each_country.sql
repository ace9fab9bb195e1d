-- Europe's count is one OR-filter over its countries (a DE+FR work counts once), so in no year can it be below
-- the count of one of its countries.
with counts as (
    select
        upper(trim(scope)) as scope,
        publication_year,
        works_count
    from {{ source('openalex', 'work_counts') }}
)

select
    country.scope,
    country.publication_year,
    country.works_count,
    europe.works_count as europe_works_count
from counts as country
inner join counts as europe
    on country.publication_year = europe.publication_year
        and europe.scope = 'EUROPE'
where country.scope not in ('EUROPE', 'CN')
    and country.works_count > europe.works_count
