-- The 10 largest German–Chinese institution links and whether TU Munich (ROR 02kkvpp62) is the German side
-- (MERICS: 7 of the top 10). The headline figure is top10_links_involving_tum in marts.headline_figures.
-- Source: marts.agg_institution_links (rank_in_country ranks the pairs within the European country).
select
    rank_in_country,
    european_institution_name,
    chinese_institution_name,
    eu_cn_works,
    european_ror_id = '02kkvpp62' as is_tum,
    chinese_risk_level
from marts.agg_institution_links
where european_country_code = 'DE'
  and rank_in_country <= 10
order by rank_in_country;
