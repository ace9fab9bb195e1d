-- The Europe–China works with a PLA or defence-linked Chinese partner, newest first, with the reason for the
-- tag: the list to check a single paper against. Source: marts.fct_eu_cn_works.
select
    work_id,
    publication_year,
    title,
    doi,
    european_countries,
    risk_level,
    risk_reasons_text
from marts.fct_eu_cn_works
where has_pla or has_defence_linked
order by publication_year desc, work_id asc
limit 50;
