{{ config(meta={'dagster': {'ref': {'name': 'agg_institution_links'}}}) }}
-- Each institution link counts exactly the Europe–China works that list both institutions.
with pairs as (
    select
        e.european.institution_id as european_institution_id,
        c.chinese.institution_id as chinese_institution_id,
        count(distinct works.work_id) as eu_cn_works
    from {{ ref('fct_eu_cn_works') }} as works,
        unnest(works.european_institutions) as e (european),
        unnest(works.chinese_institutions) as c (chinese)
    group by all
)

select
    coalesce(pairs.european_institution_id, links.european_institution_id) as european_institution_id,
    coalesce(pairs.chinese_institution_id, links.chinese_institution_id) as chinese_institution_id,
    pairs.eu_cn_works as works_in_fct,
    links.eu_cn_works as works_in_links
from pairs
full outer join {{ ref('agg_institution_links') }} as links
    on pairs.european_institution_id = links.european_institution_id
        and pairs.chinese_institution_id = links.chinese_institution_id
where pairs.eu_cn_works is distinct from links.eu_cn_works
