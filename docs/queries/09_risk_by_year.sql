-- Europe–China AI works by the risk of their Chinese partners, per year and for the span (MERICS: ~87 works
-- with the PLA, 16,386 — roughly half — with defence-linked entities). Source: marts.agg_risk_year.
select
    period,
    eu_cn_works,
    eu_cn_works_with_pla,
    eu_cn_works_defence_linked,
    eu_cn_works_security_linked,
    round(share_with_pla, 4) as share_with_pla,
    round(share_defence_linked, 4) as share_defence_linked
from marts.agg_risk_year
order by is_single_year, period;
