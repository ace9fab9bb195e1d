-- The largest (European institution, Chinese institution) links: distinct Europe–China works per pair, with
-- the Chinese side's risk level. Source: marts.agg_institution_links.
select
    european_institution_name,
    european_country_code,
    chinese_institution_name,
    chinese_risk_level,
    eu_cn_works,
    first_year,
    last_year
from marts.agg_institution_links
order by eu_cn_works desc, european_institution_name asc, chinese_institution_name asc
limit 20;
