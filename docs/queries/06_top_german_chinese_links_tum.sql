-- The 10 largest German–Chinese institution links and whether TU Munich is the German side (MERICS: 7 of the
-- top 10). The headline figure is top10_links_involving_tum in marts.headline_figures.
-- ROR ids are stored bare (02kkvpp62); the typed id below may be bare or a URL (https://ror.org/02kkvpp62).
-- Source: marts.agg_institution_links (rank_in_country ranks the pairs within the European country).
with typed as (
    select regexp_replace(lower(trim('https://ror.org/02kkvpp62')), '^((https?://)?(www\.)?ror\.org/)+', '') as ror_id
)

select
    links.rank_in_country,
    links.european_institution_name,
    links.chinese_institution_name,
    links.eu_cn_works,
    links.european_ror_id = typed.ror_id as is_tum,
    links.chinese_risk_level,
    links.chinese_risk_entity_name
from marts.agg_institution_links as links
cross join typed
where links.european_country_code = 'DE'
    and links.rank_in_country <= 10
order by links.rank_in_country;
