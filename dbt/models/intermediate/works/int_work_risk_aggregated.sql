-- One row per Europe–China candidate work (int_works_eu_cn_candidates): its Chinese institutions,
-- their risk tags, the work's risk level (the highest of its Chinese institutions') and the reasons: which
-- institution matched which risk-list entity, by which path, from which list.
with candidates as (
    select * from {{ ref('int_works_eu_cn_candidates') }}
),

chinese_affiliations as (
    select affiliations.*
    from {{ ref('int_work_institutions_classified') }} as affiliations
    inner join candidates
        on affiliations.work_id = candidates.work_id
    where affiliations.is_chinese
),

institution_tags as (
    select * from {{ ref('int_institutions_risk_summarised') }}
),

matches as (
    select * from {{ ref('int_institution_risk_tags_matched') }}
),

tagged as (
    select
        chinese_affiliations.work_id,
        chinese_affiliations.institution_id,
        chinese_affiliations.institution_name,
        chinese_affiliations.ror_id,
        institution_tags.is_pla,
        institution_tags.is_defence_linked,
        institution_tags.is_defence_linked_default,
        institution_tags.is_defence_linked_wider,
        institution_tags.is_security_linked,
        institution_tags.is_aspi_very_high,
        institution_tags.is_listed,
        institution_tags.risk_level_rank,
        institution_tags.risk_level
    from chinese_affiliations
    left join institution_tags
        on chinese_affiliations.institution_id = institution_tags.institution_id
),

per_work as (
    select
        work_id,
        list(
            struct_pack(
                institution_id := institution_id,
                institution_name := institution_name,
                ror_id := ror_id,
                risk_level := coalesce(risk_level, 'none')
            )
            order by institution_id
        ) as chinese_institutions,
        coalesce(bool_or(is_pla), false) as has_pla,
        coalesce(bool_or(is_defence_linked), false) as has_defence_linked,
        coalesce(bool_or(is_defence_linked_default), false) as has_defence_linked_default,
        coalesce(bool_or(is_defence_linked_wider), false) as has_defence_linked_wider,
        coalesce(bool_or(is_security_linked), false) as has_security_linked,
        coalesce(bool_or(is_aspi_very_high), false) as has_aspi_very_high,
        coalesce(bool_or(is_listed), false) as has_listed,
        coalesce(max(risk_level_rank), 0) as risk_level_rank
    from tagged
    group by work_id
),

reasons as (
    select
        chinese_affiliations.work_id,
        list(
            struct_pack(
                chinese_institution_id := chinese_affiliations.institution_id,
                chinese_institution_name := chinese_affiliations.institution_name,
                entity_id := matches.entity_id,
                entity_name := matches.entity_name,
                entity_group := matches.entity_group,
                match_path := matches.match_path,
                unit_ror_id := matches.unit_ror_id,
                matched_institution_id := matches.matched_institution_id,
                matched_ror_id := matches.matched_ror_id,
                source_lists := matches.source_lists,
                source_url := matches.source_url
            )
            order by chinese_affiliations.institution_id, matches.entity_id
        ) as risk_reasons,
        string_agg(
            chinese_affiliations.institution_name || ' → ' || {{ risk_match_text('matches') }},
            '; '
            order by chinese_affiliations.institution_id, matches.entity_id
        ) as risk_reasons_text
    from chinese_affiliations
    inner join matches
        on chinese_affiliations.institution_id = matches.institution_id
    group by chinese_affiliations.work_id
)

select
    per_work.work_id,
    per_work.chinese_institutions,
    per_work.has_pla,
    per_work.has_defence_linked,
    per_work.has_defence_linked_default,
    per_work.has_defence_linked_wider,
    per_work.has_security_linked,
    per_work.has_aspi_very_high,
    per_work.has_listed,
    per_work.risk_level_rank,
    {{ risk_level_name('per_work.risk_level_rank') }} as risk_level,
    coalesce(reasons.risk_reasons, []) as risk_reasons,
    reasons.risk_reasons_text
from per_work
left join reasons
    on per_work.work_id = reasons.work_id
