-- One European institution's Chinese partners, riskiest first, with the risk-list entity that tagged each one,
-- the list it comes from and the path (own ROR, ROR parent, or a parent in the OpenAlex lineage), the works
-- per year and the newest work. ROR id bare or as a URL. Source: marts.institution_partners.
with typed as (
    select regexp_replace(lower(trim('02kkvpp62')), '^((https?://)?(www\.)?ror\.org/)+', '') as ror_id
)

select
    partners.partner_name,
    partners.partner_ror,
    partners.eu_cn_works,
    partners.first_year,
    partners.last_year,
    partners.partner_risk_level,
    partners.partner_risk_entity_name,
    partners.partner_risk_entity_lists,
    partners.partner_risk_match_path,
    partners.partner_risk_reasons_text,
    partners.dual_use_areas,
    partners.newest_works[1].title as newest_title,
    partners.newest_works[1].doi as newest_doi
from marts.institution_partners as partners
where partners.institution_ror = (select typed.ror_id from typed)
order by
    case partners.partner_risk_level
        when 'pla' then 1 when 'defence_linked' then 2 when 'security_linked' then 3 when 'listed' then 4 else 5
    end,
    partners.eu_cn_works desc,
    partners.partner_name asc;
