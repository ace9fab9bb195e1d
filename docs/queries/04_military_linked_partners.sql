-- Chinese partners that are PLA or defence-linked (MERICS: "directly controlled by or closely tied to the
-- military"), by the number of Europe–China works they are on, with why they are tagged (the risk-list entity
-- matched, on the institution itself or a parent in its lineage, and the list it comes from).
-- Source: marts.dim_institutions.
select
    institution_id,
    institution_name,
    ror_id,
    risk_level,
    is_pla,
    is_defence_linked,
    eu_cn_works,
    risk_reasons_text
from marts.dim_institutions
where is_chinese
    and (is_pla or is_defence_linked)
    and eu_cn_works > 0
order by eu_cn_works desc, institution_name asc
limit 25;
