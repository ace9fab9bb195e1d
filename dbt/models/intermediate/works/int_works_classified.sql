-- One row per work: its countries, and whether it has European and Chinese institutions.
-- Europe follows var `europe_definition` (a flag column of the countries seed).
with works as (
    select * from {{ ref('stg_openalex__works') }}
),

affiliations as (
    select * from {{ ref('stg_openalex__authorship_institutions') }}
),

countries as (
    select * from {{ ref('countries') }}
),

work_countries as (
    select
        affiliations.work_id,
        list(distinct affiliations.country_code order by affiliations.country_code)
            filter (where affiliations.country_code is not null) as countries,
        list(distinct affiliations.country_code order by affiliations.country_code)
            filter (where countries.{{ var('europe_definition') }} = 1) as european_countries,
        bool_or(affiliations.country_code = 'CN') as has_cn
    from affiliations
    left join countries
        on affiliations.country_code = countries.iso2
    group by affiliations.work_id
)

select
    works.*,
    coalesce(work_countries.countries, []) as countries,
    coalesce(work_countries.european_countries, []) as european_countries,
    coalesce(len(work_countries.european_countries), 0) > 0 as has_europe,
    coalesce(work_countries.has_cn, false) as has_cn,
    coalesce(len(work_countries.european_countries), 0) > 0 and coalesce(work_countries.has_cn, false) as is_eu_cn
from works
left join work_countries
    on works.work_id = work_countries.work_id
