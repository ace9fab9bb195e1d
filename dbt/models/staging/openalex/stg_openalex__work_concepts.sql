-- One row per work × concept (OpenAlex's legacy concept tags, frozen but still returned).
{{ config(**per_work_incremental_config()) }}
with works as (
    select work_id, concepts, _built_at
    from {{ ref('base_openalex__works') }}
    where {{ built_since_last_run() }}
),

concepts as (
    select
        work_id,
        _built_at,
        unnest(concepts) as concept
    from works
)

select
    work_id,
    {{ openalex_short_id('concept.id') }} as concept_id,
    any_value(concept.display_name) as concept_name,
    any_value(concept.level) as concept_level,
    max(concept.score) as score,
    any_value(_built_at) as _built_at
from concepts
where concept.id is not null
group by work_id, concept_id
