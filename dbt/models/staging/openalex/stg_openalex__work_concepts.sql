-- One row per work × concept (OpenAlex's legacy concept tags, frozen but still returned).
with works as (
    select work_id, concepts from {{ ref('base_openalex__works') }}
),

concepts as (
    select
        work_id,
        unnest(concepts) as concept
    from works
)

select
    work_id,
    {{ openalex_short_id('concept.id') }} as concept_id,
    any_value(concept.display_name) as concept_name,
    any_value(concept.level) as concept_level,
    max(concept.score) as score
from concepts
where concept.id is not null
group by work_id, concept_id
