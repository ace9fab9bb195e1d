-- The reverse view: which European institutions publish AI work with Beihang University (one of the Seven Sons
-- of National Defence), itself or any lab under it (a lab without a ROR id is tied to Beihang by its OpenAlex
-- lineage), and through which Chinese institutions. ROR id bare or as a URL.
-- Source: marts.agg_risk_entity_partners (one row per risk-list entity × European institution).
with typed as (
    select regexp_replace(lower(trim('https://ror.org/00wk2mp56')), '^((https?://)?(www\.)?ror\.org/)+', '') as ror_id
)

select
    entity_name,
    entity_lists,
    institution_name,
    institution_ror,
    country_code,
    eu_cn_works,
    first_year,
    last_year,
    via_partners
from marts.agg_risk_entity_partners
where entity_ror = (select typed.ror_id from typed)
order by eu_cn_works desc, institution_name asc;
