-- Links to listed Chinese entities counted once per entity: a lab tagged through its lineage and its listed
-- parent (e.g. a Beihang lab and Beihang University) are two institutions on the works but one risk-list
-- entity, named on every link (chinese_risk_entity_id, its name and list). Distinct works per European
-- institution × entity. Source: marts.agg_institution_links and marts.fct_institution_eu_cn_works.
with links as (
    select * from marts.agg_institution_links
    where chinese_risk_entity_id is not null
)

select
    any_value(links.european_institution_name) as european_institution_name,
    any_value(links.chinese_risk_entity_name) as chinese_risk_entity_name,
    any_value(links.chinese_risk_entity_lists) as chinese_risk_entity_lists,
    any_value(links.chinese_risk_level) as chinese_risk_level,
    count(distinct links.chinese_institution_id) as chinese_institutions,
    count(distinct works.work_id) as eu_cn_works
from links
inner join marts.fct_institution_eu_cn_works as works
    on links.european_institution_id = works.institution_id
        -- `c` is the lambda's parameter (a struct of the list), which sqlfluff takes for a table.
        and list_contains(
            list_transform(works.chinese_institutions, lambda c: c.institution_id), -- noqa: RF01
            links.chinese_institution_id
        )
group by links.european_institution_id, links.chinese_risk_entity_id
order by eu_cn_works desc, european_institution_name asc, chinese_risk_entity_name asc
limit 25;
