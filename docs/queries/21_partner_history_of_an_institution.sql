-- One European institution's Chinese partners across every release: each version of the pair (its works and
-- the partner's risk level) with the release it first appeared in and the release that replaced or removed it
-- (NULL: still live). Type the ROR id bare (02kkvpp62) or as a URL. Sources: history.institution_partners_history
-- (a dbt snapshot, one row per published version) and history.releases.
with typed as (
    select regexp_replace(lower(trim('https://ror.org/02kkvpp62')), '^((https?://)?(www\.)?ror\.org/)+', '') as ror_id
),

versions as (
    select
        history.partner_name,
        history.partner_institution_id,
        history.partner_risk_level,
        history.eu_cn_works,
        history.dbt_valid_from,
        history.dbt_valid_to
    from history.institution_partners_history as history
    where history.institution_ror = (select typed.ror_id from typed)
),

-- A version belongs to the first release published at or after it was recorded.
from_release as (
    select
        versions.*,
        releases.release_id as first_release_id
    from versions
    asof left join history.releases as releases
        on versions.dbt_valid_from <= releases.published_at
)

select
    from_release.partner_name,
    from_release.partner_institution_id,
    from_release.partner_risk_level,
    from_release.eu_cn_works,
    from_release.first_release_id,
    until_release.release_id as replaced_in_release_id
from from_release
asof left join history.releases as until_release
    on from_release.dbt_valid_to <= until_release.published_at
order by from_release.partner_name, from_release.dbt_valid_from;
