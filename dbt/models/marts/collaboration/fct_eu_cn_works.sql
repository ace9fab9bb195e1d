-- One row per Europe–China AI work in scope.
with works as (
    select * from {{ ref('int_works_classified') }}
    where is_in_scope and is_ai and is_eu_cn
)

select
    work_id,
    publication_year,
    title,
    doi,
    european_countries,
    countries,
    schema_era,
    {{ dataset_label() }} as dataset_label
from works
