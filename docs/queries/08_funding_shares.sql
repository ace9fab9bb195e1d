-- Funding of Europe–China AI works per year and for the span: how many disclose a funder, and of those the
-- shares with a Chinese funder (MERICS brief: ~80 %) and a Chinese government funder (~60 %), and the works
-- funded by the National Defence Basic Scientific Research Programme (MERICS brief: 7). Source: marts.agg_funding.
select
    period,
    eu_cn_works,
    eu_cn_works_funding_disclosed,
    round(share_funding_disclosed, 4) as share_funding_disclosed,
    round(share_china_funded_of_disclosed, 4) as share_china_funded_of_disclosed,
    round(share_china_gov_funded_of_disclosed, 4) as share_china_gov_funded_of_disclosed,
    eu_cn_works_defence_programme_funded
from marts.agg_funding
order by is_single_year, period;
