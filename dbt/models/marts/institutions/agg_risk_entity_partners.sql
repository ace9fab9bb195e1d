-- The reverse view: one row per risk-list entity × European institution that co-authored a Europe–China AI
-- work with a Chinese institution matching the entity (itself, a unit under its ROR parent, or a lab in its
-- lineage). Answers "which European institutions work with NUDT (or any of its labs)?".
with matches as (
    select * from {{ ref('int_institution_risk_tags_matched') }}
),

partners as (
    select * from {{ ref('institution_partners') }}
),

entity_pairs as (
    select
        matches.entity_id,
        matches.match_path,
        partners.*
    from partners
    inner join matches
        on partners.partner_institution_id = matches.institution_id
),

pair_works as (
    select
        entity_pairs.entity_id, entity_pairs.institution_id, institution_works.work_id,
        institution_works.publication_year, institution_works.is_dual_use
    from entity_pairs
    inner join {{ ref('int_work_institutions_classified') }} as chinese_affiliations
        on entity_pairs.partner_institution_id = chinese_affiliations.institution_id
    inner join {{ ref('fct_institution_eu_cn_works') }} as institution_works
        on entity_pairs.institution_id = institution_works.institution_id
            and chinese_affiliations.work_id = institution_works.work_id
),

work_counts as (
    select
        entity_id,
        institution_id,
        count(distinct work_id) as eu_cn_works,
        count(distinct work_id) filter (where is_dual_use) as dual_use_works,
        min(publication_year) as first_year,
        max(publication_year) as last_year
    from pair_works
    group by entity_id, institution_id
),

via as (
    select
        entity_id,
        institution_id,
        any_value(institution_ror) as institution_ror,
        any_value(institution_name) as institution_name,
        any_value(country_code) as country_code,
        list(
            struct_pack(
                partner_institution_id := partner_institution_id,
                partner_name := partner_name,
                match_path := match_path,
                eu_cn_works := eu_cn_works
            )
            order by eu_cn_works desc, partner_institution_id asc
        ) as via_partners
    from entity_pairs
    group by entity_id, institution_id
),

entities as (
    select * from {{ ref('stg_reference__risk_entities') }}
)

select
    entities.entity_id,
    entities.entity_name,
    entities.entity_group,
    entities.ror_id as entity_ror,
    entities.is_pla as entity_is_pla,
    {{ is_defence_linked(defence='entities.is_defence_linked', aspi_very_high='entities.is_aspi_very_high') }} as entity_is_defence_linked,
    entities.is_security_linked as entity_is_security_linked,
    entities.source_lists as entity_lists,
    entities.source_url as entity_source_url,
    via.institution_id,
    via.institution_ror,
    via.institution_name,
    via.country_code,
    work_counts.eu_cn_works,
    work_counts.dual_use_works,
    work_counts.first_year,
    work_counts.last_year,
    via.via_partners,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from via
inner join work_counts
    on via.entity_id = work_counts.entity_id
        and via.institution_id = work_counts.institution_id
inner join entities
    on via.entity_id = entities.entity_id
