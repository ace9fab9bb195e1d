-- One row per in-scope Europe–China candidate work (int_works_eu_cn_candidates) × dual-use area it touches
-- (seed dual_use_topics): by OpenAlex topic id, keyword id, or a name pattern (SQL LIKE, case-insensitive) on its
-- topic and keyword names.
with works as (
    select works.work_id
    from {{ ref('stg_openalex__works') }} as works
    inner join {{ ref('int_works_eu_cn_candidates') }} as candidates
        on works.work_id = candidates.work_id
    where works.is_in_scope
),

topics as (
    select work_topics.*
    from {{ ref('stg_openalex__work_topics') }} as work_topics
    inner join works
        on work_topics.work_id = works.work_id
),

keywords as (
    select work_keywords.*
    from {{ ref('stg_openalex__work_keywords') }} as work_keywords
    inner join works
        on work_keywords.work_id = works.work_id
),

areas as (
    select * from {{ ref('stg_reference__dual_use_topics') }}
),

names as (
    select work_id, topic_name as name_text, 'topic' as name_source from topics where topic_name is not null
    union all
    select work_id, keyword_name, 'keyword' from keywords where keyword_name is not null
),

matches as (
    select topics.work_id, areas.dual_use_area, areas.match_type, areas.match_value
    from topics
    inner join areas
        on areas.match_type = 'topic_id' and topics.topic_id = areas.match_value

    union all

    select keywords.work_id, areas.dual_use_area, areas.match_type, areas.match_value
    from keywords
    inner join areas
        on areas.match_type = 'keyword_id' and keywords.keyword_id = areas.match_value

    union all

    select names.work_id, areas.dual_use_area, areas.match_type, areas.match_value
    from names
    inner join areas
        on areas.match_type = 'name_pattern'
            and names.name_text ilike case
                when contains(areas.match_value, '%') then areas.match_value
                else '%' || areas.match_value || '%'
            end
)

select
    work_id,
    dual_use_area,
    list(distinct match_type order by match_type) as match_types,
    list(distinct match_value order by match_value) as matched_values
from matches
group by work_id, dual_use_area
