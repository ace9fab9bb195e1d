-- One row per work × institution (an institution on several authorships of a work counts once), with
-- whether the institution is European (var europe_definition) or Chinese (var china_definition).
{{ config(**per_work_incremental_config()) }}
-- depends_on: {{ ref('base_openalex__works') }}  (its post-hook drops rows of works rebuilt since)
with affiliations as (
    select * from {{ ref('stg_openalex__authorship_institutions') }}
    where {{ built_since_last_run() }}
        and institution_id is not null
),

countries as (
    select * from {{ ref('stg_reference__countries') }}
),

per_work as (
    select
        work_id,
        institution_id,
        any_value(institution_name) as institution_name,
        any_value(ror_id) as ror_id,
        any_value(country_code) as country_code,
        any_value(institution_type) as institution_type,
        -- An author listed twice on one work (a real record repeats 63 author ids in 13 works) counts once.
        count(distinct coalesce(author_id, 'position ' || author_position)) as authorships,
        any_value(_built_at) as _built_at
    from affiliations
    group by work_id, institution_id
)

select
    per_work.work_id,
    per_work.institution_id,
    per_work.institution_name,
    per_work.ror_id,
    per_work.country_code,
    per_work.institution_type,
    per_work.authorships,
    coalesce(countries.is_european, false) as is_european,
    coalesce(countries.is_chinese, false) as is_chinese,
    per_work._built_at
from per_work
left join countries
    on per_work.country_code = countries.country_code
