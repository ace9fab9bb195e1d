-- One row per work × topic, with the topic's subfield, field and domain; the primary topic is flagged
-- (and included even when the record's topics list omits it).
{{ config(**per_work_incremental_config()) }}
with works as (
    select work_id, topics, primary_topic, _built_at
    from {{ ref('base_openalex__works') }}
    where {{ built_since_last_run() }}
),

listed as (
    select
        work_id,
        _built_at,
        unnest(topics) as topic,
        generate_subscripts(topics, 1) as topic_rank,
        {{ openalex_short_id('primary_topic.id') }} as primary_topic_id
    from works
),

primary_only as (
    select
        work_id,
        _built_at,
        primary_topic as topic,
        0 as topic_rank,
        {{ openalex_short_id('primary_topic.id') }} as primary_topic_id
    from works
    where primary_topic.id is not null
),

unioned as (
    select * from listed
    union all
    select * from primary_only
),

renamed as (
    select
        work_id,
        _built_at,
        {{ openalex_short_id('topic.id') }} as topic_id,
        topic.display_name as topic_name,
        topic.score,
        {{ openalex_short_id('topic.subfield.id') }} as subfield_id,
        topic.subfield.display_name as subfield_name,
        {{ openalex_short_id('topic.field.id') }} as field_id,
        topic.field.display_name as field_name,
        {{ openalex_short_id('topic.domain.id') }} as domain_id,
        topic.domain.display_name as domain_name,
        {{ openalex_short_id('topic.id') }} = primary_topic_id as is_primary_topic,
        topic_rank
    from unioned
    where topic.id is not null
)

select
    work_id,
    topic_id,
    topic_name,
    score,
    subfield_id,
    subfield_name,
    field_id,
    field_name,
    domain_id,
    domain_name,
    coalesce(is_primary_topic, false) as is_primary_topic,
    _built_at
from renamed
qualify row_number() over (partition by work_id, topic_id order by topic_rank = 0, topic_rank) = 1
