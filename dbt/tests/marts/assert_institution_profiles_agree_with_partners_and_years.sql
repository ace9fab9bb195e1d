{{ config(meta={'dagster': {'ref': {'name': 'institution_profiles'}}}) }}
-- A profile's totals agree with its rows elsewhere: works = the sum of its years = the sum of each year's
-- risk-level split; Chinese partners = its institution_partners rows; and the profiled institutions are exactly
-- the European institutions of agg_institution_links (the same works, seen from the pairs).
with years as (
    select
        institution_id,
        sum(eu_cn_works) as eu_cn_works,
        sum(
            {%- for level in risk_levels() %}
            {{ '+ ' if not loop.first }}eu_cn_works_risk_{{ level }}
            {%- endfor %}
        ) as by_risk_level
    from {{ ref('agg_institution_years') }}
    group by institution_id
),

partners as (
    select institution_id, count(*) as chinese_partners
    from {{ ref('institution_partners') }}
    group by institution_id
),

linked as (
    select distinct european_institution_id as institution_id from {{ ref('agg_institution_links') }}
)

select
    coalesce(profiles.institution_id, linked.institution_id) as institution_id,
    profiles.eu_cn_works,
    years.eu_cn_works as eu_cn_works_in_years,
    years.by_risk_level,
    profiles.chinese_partners,
    partners.chinese_partners as partner_rows
from {{ ref('institution_profiles') }} as profiles
full outer join linked
    on profiles.institution_id = linked.institution_id
left join years
    on profiles.institution_id = years.institution_id
left join partners
    on profiles.institution_id = partners.institution_id
where profiles.institution_id is null
    or linked.institution_id is null
    or profiles.eu_cn_works is distinct from years.eu_cn_works
    or years.eu_cn_works is distinct from years.by_risk_level
    or profiles.chinese_partners is distinct from coalesce(partners.chinese_partners, 0)
