{{ config(meta={'dagster': {'ref': {'name': 'fct_eu_cn_works'}}}) }}
-- No Chinese risk tag without a reason an analyst can check (institution → entity, list, source).
select work_id, has_pla, has_defence_linked, has_security_linked, risk_reasons_text
from {{ ref('fct_eu_cn_works') }}
where (has_pla or has_defence_linked or has_security_linked)
    and (len(risk_reasons) = 0 or risk_reasons_text is null)
