-- One row per work that is a Europe–China work under at least one named definition: a Chinese institution and
-- a European one under any Europe definition, in any year, by either country attribution (the wider one holds the
-- other). Risk tags, funding and dual-use areas are worked out for these works only, a few per cent of all works,
-- instead of for every Chinese or funded work.
{%- set europe_defs = europe_definitions() %}
with works as (
    select * from {{ ref('int_works_classified') }}
)

select
    work_id,
    publication_year
from works
where has_cn_with_authorship_countries
    and (
        {%- for e in europe_defs %}
        {{ 'or ' if not loop.first }}has_{{ e }}_with_authorship_countries
        {%- endfor %}
    )
