-- The API's group_by counts (AI output per scope and year): the study's denominators when only Europe–China
-- works are fetched. Empty unless the source is api. One row per (scope, year); the latest fetch wins.
with source as (
    select * from {{ source('openalex', 'work_counts') }}
),

renamed as (
    select
        upper(trim(scope)) as scope,
        publication_year,
        works_count,
        query,
        fetched_at
    from source
    where scope is not null and publication_year is not null
)

select *
from renamed
qualify row_number() over (partition by scope, publication_year order by fetched_at desc nulls last, query desc) = 1
