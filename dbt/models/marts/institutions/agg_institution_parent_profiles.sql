-- Parent organisations through OpenAlex lineage: one row per organisation that is a lineage ancestor of at
-- least one institution in institution_profiles (a Max Planck institute counts for the Max Planck Society, a
-- CNRS unit for CNRS). Its figures count the distinct Europe–China works of its member institutions (itself
-- when it appears directly, and every profiled institution with it in its lineage). Kept apart from
-- institution_profiles so the direct figures stay exact and nothing is counted twice there.
with institution_works as (
    select * from {{ ref('fct_institution_eu_cn_works') }}
),

institutions as (
    select * from {{ ref('int_institutions_unioned') }}
),

memberships as (
    -- every profiled institution under each of its ancestors, and each ancestor as its own member
    select distinct unnest(institutions.ancestor_ids) as parent_institution_id, institutions.institution_id
    from institutions
    semi join institution_works
        on institutions.institution_id = institution_works.institution_id
),

direct as (
    select distinct institution_id from institution_works
),

parents as (
    select distinct parent_institution_id from memberships
),

members as (
    select parent_institution_id, institution_id from memberships
    union
    select parent_institution_id, parent_institution_id as institution_id from parents
),

parent_works as (
    select
        members.parent_institution_id,
        members.institution_id,
        institution_works.work_id,
        institution_works.publication_year,
        institution_works.chinese_institutions,
        institution_works.has_pla,
        institution_works.has_defence_linked,
        institution_works.has_security_linked,
        institution_works.china_funded,
        institution_works.is_dual_use
    from members
    inner join institution_works
        on members.institution_id = institution_works.institution_id
),

rolled_up as (
    select
        parent_institution_id,
        count(distinct institution_id) as member_institutions,
        list(distinct institution_id order by institution_id) as member_institution_ids,
        count(distinct work_id) as eu_cn_works,
        count(distinct work_id) filter (where has_pla) as eu_cn_works_with_pla,
        count(distinct work_id) filter (where has_defence_linked) as eu_cn_works_defence_linked,
        count(distinct work_id) filter (where has_security_linked) as eu_cn_works_security_linked,
        count(distinct work_id) filter (where china_funded) as china_funded_works,
        count(distinct work_id) filter (where is_dual_use) as dual_use_works,
        min(publication_year) as first_year,
        max(publication_year) as last_year
    from parent_works
    group by parent_institution_id
),

partners as (
    select
        parent_works.parent_institution_id,
        count(distinct chinese.institution_id) as chinese_partners,
        count(distinct chinese.institution_id) filter (where chinese.is_defence_linked) as chinese_partners_defence_linked
    from parent_works
    cross join unnest(parent_works.chinese_institutions) as unnested (chinese_institution)
    left join {{ ref('int_institutions_risk_summarised') }} as chinese
        on unnested.chinese_institution.institution_id = chinese.institution_id
    group by parent_works.parent_institution_id
)

select
    rolled_up.parent_institution_id,
    institutions.ror_id as parent_ror,
    institutions.institution_name as parent_name,
    institutions.country_code as parent_country_code,
    institutions.has_institution_record as parent_has_institution_record,
    direct.institution_id is not null as parent_appears_directly,
    rolled_up.member_institutions,
    rolled_up.member_institution_ids,
    rolled_up.eu_cn_works,
    rolled_up.eu_cn_works_with_pla,
    rolled_up.eu_cn_works_defence_linked,
    rolled_up.eu_cn_works_security_linked,
    coalesce(partners.chinese_partners, 0) as chinese_partners,
    coalesce(partners.chinese_partners_defence_linked, 0) as chinese_partners_defence_linked,
    rolled_up.china_funded_works,
    rolled_up.dual_use_works,
    rolled_up.first_year,
    rolled_up.last_year,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from rolled_up
left join direct
    on rolled_up.parent_institution_id = direct.institution_id
left join institutions
    on rolled_up.parent_institution_id = institutions.institution_id
left join partners
    on rolled_up.parent_institution_id = partners.parent_institution_id
