-- One row per European institution on at least one Europe–China AI work of the study period, directly (as an
-- authorship's institution; a parent organisation's rollup is agg_institution_parent_profiles): its Europe–China
-- works and their risk, its distinct Chinese partners, the years, its own AI output and the share co-authored
-- with China, funding, dual-use works, its top funders and its riskiest partner.
with institution_works as (
    select * from {{ ref('fct_institution_eu_cn_works') }}
),

years as (
    select * from {{ ref('agg_institution_years') }}
),

partners as (
    select * from {{ ref('institution_partners') }}
),

totals as (
    select
        institution_id,
        any_value(institution_ror) as institution_ror,
        any_value(institution_name) as institution_name,
        any_value(country_code) as country_code,
        count(distinct work_id) as eu_cn_works,
        count(distinct work_id) filter (where has_pla) as eu_cn_works_with_pla,
        count(distinct work_id) filter (where has_defence_linked) as eu_cn_works_defence_linked,
        count(distinct work_id) filter (where has_security_linked) as eu_cn_works_security_linked,
        min(publication_year) as first_year,
        max(publication_year) as last_year,
        count(distinct work_id) filter (where funding_disclosed) as funding_disclosed_works,
        count(distinct work_id) filter (where china_funded) as china_funded_works,
        count(distinct work_id) filter (where chinese_gov_funded) as chinese_gov_funded_works,
        count(distinct work_id) filter (where defence_programme_funded) as defence_programme_funded_works,
        count(distinct work_id) filter (where is_dual_use) as dual_use_works
    from institution_works
    group by institution_id
),

per_year as (
    select
        institution_id,
        list(struct_pack(publication_year := publication_year, eu_cn_works := eu_cn_works) order by publication_year)
            as eu_cn_works_per_year,
        sum(ai_works) as ai_works,
        any_value(ai_works_source) as ai_works_source
    from years
    group by institution_id
),

partners_ranked as (
    select
        *,
        {{ risk_level_rank('partner_is_pla', 'partner_is_defence_linked', 'partner_is_security_linked', "partner_risk_level = 'listed'") }}
            as partner_risk_rank
    from partners
),

partner_counts as (
    select
        institution_id,
        count(*) as chinese_partners,
        count(*) filter (where partner_is_pla) as chinese_partners_pla,
        count(*) filter (where partner_is_defence_linked) as chinese_partners_defence_linked,
        count(*) filter (where partner_is_security_linked) as chinese_partners_security_linked,
        count(distinct partner_risk_entity_id) as chinese_risk_entities,
        arg_max(
            struct_pack(
                partner_institution_id := partner_institution_id,
                partner_name := partner_name,
                partner_risk_level := partner_risk_level,
                partner_risk_entity_name := partner_risk_entity_name,
                eu_cn_works := eu_cn_works
            ),
            -- The highest risk, then the most works; the partner id settles a tie, so every build picks the same.
            struct_pack(
                risk_rank := partner_risk_rank, works := eu_cn_works, partner_institution_id := partner_institution_id
            )
        ) as riskiest_partner
    from partners_ranked
    group by institution_id
),

funders as (
    select institution_id, unnest(funder_names) as funder_name, work_id from institution_works
),

funder_works as (
    select institution_id, funder_name, count(distinct work_id) as works
    from funders
    group by all
),

top_funders as (
    select
        institution_id,
        -- ten: a page's table; fct_institution_eu_cn_works has them all
        list(struct_pack(funder_name := funder_name, eu_cn_works := works) order by works desc, funder_name asc)[1:10]
            as top_funders
    from funder_works
    group by institution_id
)

select
    totals.institution_id,
    totals.institution_ror,
    'https://ror.org/' || totals.institution_ror as institution_ror_url,
    totals.institution_name,
    totals.country_code,
    totals.eu_cn_works,
    totals.eu_cn_works_with_pla,
    totals.eu_cn_works_defence_linked,
    totals.eu_cn_works_security_linked,
    {{ safe_share('totals.eu_cn_works_defence_linked', 'totals.eu_cn_works') }} as share_defence_linked,
    coalesce(partner_counts.chinese_partners, 0) as chinese_partners,
    coalesce(partner_counts.chinese_partners_pla, 0) as chinese_partners_pla,
    coalesce(partner_counts.chinese_partners_defence_linked, 0) as chinese_partners_defence_linked,
    coalesce(partner_counts.chinese_partners_security_linked, 0) as chinese_partners_security_linked,
    coalesce(partner_counts.chinese_risk_entities, 0) as chinese_risk_entities,
    partner_counts.riskiest_partner,
    totals.first_year,
    totals.last_year,
    per_year.eu_cn_works_per_year,
    per_year.ai_works,
    {{ safe_share('totals.eu_cn_works', 'per_year.ai_works') }} as share_of_ai_works_with_cn,
    per_year.ai_works_source,
    totals.funding_disclosed_works,
    totals.china_funded_works,
    totals.chinese_gov_funded_works,
    totals.defence_programme_funded_works,
    totals.dual_use_works,
    coalesce(top_funders.top_funders, []) as top_funders,
    -- Competition ranking: institutions with the same two counts share a rank (23, 23, 25).
    rank() over (
        order by totals.eu_cn_works_defence_linked desc, totals.eu_cn_works desc
    ) as rank_by_defence_linked_works,
    -- A share of 1 of 1 would top a ranking by share: only institutions with at least share_ranking_min_works AI
    -- works are ranked by it (NULL for the others, and with the API source, where ai_works is unknown).
    case
        when per_year.ai_works >= {{ var('share_ranking_min_works') }}
            then rank() over (
                    partition by per_year.ai_works >= {{ var('share_ranking_min_works') }}
                    order by {{ safe_share('totals.eu_cn_works', 'per_year.ai_works') }} desc
                )
    end as rank_by_share_of_ai_works_with_cn,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from totals
inner join per_year
    on totals.institution_id = per_year.institution_id
left join partner_counts
    on totals.institution_id = partner_counts.institution_id
left join top_funders
    on totals.institution_id = top_funders.institution_id
