-- One European institution's due-diligence profile (the figures `make profile` prints): its Europe–China AI
-- works, how many with a PLA / defence-linked / security-linked Chinese partner, its Chinese partners, its own
-- AI output and the share co-authored with China. Type the ROR id bare (02kkvpp62) or as a URL; the column
-- holds it bare. "Europe" is var europe_definition: EU27 + UK + EFTA by default.
-- Source: marts.institution_profiles (one row per European institution on a Europe–China work, directly).
with typed as (
    select regexp_replace(lower(trim('https://ror.org/02kkvpp62')), '^((https?://)?(www\.)?ror\.org/)+', '') as ror_id
)

select
    institution_name,
    institution_ror,
    country_code,
    eu_cn_works,
    eu_cn_works_with_pla,
    eu_cn_works_defence_linked,
    eu_cn_works_security_linked,
    chinese_partners,
    chinese_partners_defence_linked,
    first_year,
    last_year,
    ai_works,
    share_of_ai_works_with_cn,
    china_funded_works,
    dual_use_works,
    rank_by_defence_linked_works
from marts.institution_profiles
where institution_ror = (select typed.ror_id from typed);
