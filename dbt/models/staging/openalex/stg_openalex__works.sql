{{ config(**per_work_incremental_config()) }}
with works as (
    select * from {{ ref('base_openalex__works') }}
    where {{ built_since_last_run() }}
),

flagged as (
    select
        work_id,
        regexp_replace(lower(doi), '^https?://(dx\.)?doi\.org/', '') as doi,
        coalesce(title, display_name) as title,
        publication_year,
        try_cast(publication_date as date) as publication_date,
        language,
        type as work_type,
        coalesce(is_retracted, false) as is_retracted,
        coalesce(is_paratext, false) as is_paratext,
        try_cast(updated_date as timestamp) as updated_at,
        versions_seen,
        {{ schema_era() }} as schema_era,
        list_contains(
            list_transform(coalesce(concepts, []), lambda c: {{ openalex_short_id('c.id') }}),
            '{{ var("ai_concept_id") }}'
        ) as has_ai_concept,
        -- The AI concept's score: OpenAlex assigns a concept at 0.3 and up, and lists its ancestors at any score,
        -- zero included.
        list_max(list_transform(
            list_filter(coalesce(concepts, []), lambda c: {{ openalex_short_id('c.id') }} = '{{ var("ai_concept_id") }}'),
            lambda c: c.score
        )) as ai_concept_score,
        list_contains(
            list_transform(coalesce(topics, []), lambda t: {{ openalex_short_id('t.subfield.id') }}),
            '{{ var("ai_subfield_id") }}'
        ) as has_ai_topic,
        coalesce({{ openalex_short_id('primary_topic.subfield.id') }} = '{{ var("ai_subfield_id") }}', false) as has_ai_primary_topic,
        list_contains(
            list_transform(coalesce(topics, []), lambda t: {{ openalex_short_id('t.subfield.id') }}),
            '{{ var("ai_broad_extra_subfield_id") }}'
        ) as has_broad_ai_topic,
        _file as raw_file,
        _built_at
    from works
),

scoped as (
    select
        *,
        publication_year between {{ var('study_start_year') }} and {{ var('study_end_year') }} as is_in_period,
        coalesce(language = '{{ var("study_language") }}', false) as is_study_language,
        {{ is_ai_work() }} as is_ai
    from flagged
)

select
    *,
    is_in_period and is_study_language and not is_retracted and not is_paratext as is_in_scope
from scoped
