-- One row per work × keyword. OpenAlex keywords changed shape between eras (objects with id/display_name,
-- older objects with `keyword`, plain strings), so the raw column is JSON and is read here element by element.
{{ config(**per_work_incremental_config()) }}
with works as (
    select work_id, keywords, _built_at
    from {{ ref('base_openalex__works') }}
    where {{ built_since_last_run() }}
        and keywords is not null and json_type(keywords) = 'ARRAY'
),

elements as (
    select
        work_id,
        _built_at,
        unnest(cast(keywords as json[])) as keyword
    from works
),

renamed as (
    select
        work_id,
        _built_at,
        case
            when json_type(keyword) = 'VARCHAR' then null
            else {{ openalex_short_id("json_extract_string(keyword, '$.id')") }}
        end as keyword_id,
        case
            when json_type(keyword) = 'VARCHAR' then json_extract_string(keyword, '$')
            else coalesce(json_extract_string(keyword, '$.display_name'), json_extract_string(keyword, '$.keyword'))
        end as keyword_name,
        try_cast(json_extract_string(keyword, '$.score') as double) as score
    from elements
),

keyed as (
    select
        work_id,
        -- Plain-string keywords get an id in OpenAlex's style (lower case, hyphenated).
        coalesce(keyword_id, lower(regexp_replace(trim(keyword_name), '\s+', '-', 'g'))) as keyword_id,
        keyword_name,
        score,
        _built_at
    from renamed
    where coalesce(keyword_id, keyword_name) is not null
)

select
    work_id,
    keyword_id,
    any_value(keyword_name) as keyword_name,
    max(score) as score,
    any_value(_built_at) as _built_at
from keyed
group by work_id, keyword_id
