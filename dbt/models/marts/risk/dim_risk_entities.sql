-- One row per risk-list entity (seed risk_entities), with its tags and sources, the institutions in the
-- warehouse that matched it (by own ROR, ROR parent or lineage) and the Europe–China AI works those are on.
with entities as (
    select * from {{ ref('stg_reference__risk_entities') }}
),

matches as (
    select * from {{ ref('int_institution_risk_tags_matched') }}
),

work_institutions as (
    select work_institutions.work_id, work_institutions.institution_id
    from {{ ref('int_work_institutions_classified') }} as work_institutions
    inner join {{ ref('fct_eu_cn_works') }} as works
        on work_institutions.work_id = works.work_id
    where work_institutions.is_chinese
),

matched_institutions as (
    select
        entity_id,
        count(distinct institution_id) as institutions_matched,
        list(distinct institution_id order by institution_id) as matched_institution_ids,
        list(distinct match_path order by match_path) as match_paths
    from matches
    group by entity_id
),

matched_works as (
    select
        matches.entity_id,
        count(distinct work_institutions.work_id) as eu_cn_works
    from matches
    inner join work_institutions
        on matches.institution_id = work_institutions.institution_id
    group by matches.entity_id
)

select
    entities.entity_id,
    entities.entity_name,
    entities.entity_name_zh,
    entities.ror_id,
    entities.entity_group,
    entities.is_pla,
    entities.is_defence_linked,
    entities.is_security_linked,
    entities.is_aspi_very_high,
    {{ is_defence_linked() }} as is_defence_linked_in_force,
    entities.aspi_risk_level,
    entities.aspi_risk_level_source,
    entities.tags,
    entities.source_lists,
    entities.source_url,
    entities.as_of_date,
    entities.lists_disagree,
    entities.disagreement_note,
    coalesce(matched_institutions.institutions_matched, 0) as institutions_matched,
    coalesce(matched_institutions.matched_institution_ids, []) as matched_institution_ids,
    coalesce(matched_institutions.match_paths, []) as match_paths,
    coalesce(matched_works.eu_cn_works, 0) as eu_cn_works,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from entities
left join matched_institutions
    on entities.entity_id = matched_institutions.entity_id
left join matched_works
    on entities.entity_id = matched_works.entity_id
