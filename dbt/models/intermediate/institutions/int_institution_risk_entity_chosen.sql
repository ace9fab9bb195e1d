-- One row per institution that matches at least one risk-list entity: the entity that explains its highest tag
-- (pla > defence-linked under var risk_list_variant > security-linked > listed), by the most direct path
-- (own_ror > ror_parent > lineage_ancestor), ties by entity id; plus every entity it matches. A lab and its
-- listed parent thus name the same entity, so the entity can be counted once.
with matches as (
    select * from {{ ref('int_institution_risk_tags_matched') }}
),

ranked as (
    select
        *,
        {{ is_defence_linked() }} as is_defence_linked_in_force,
        {{ risk_level_rank('is_pla', is_defence_linked(), 'is_security_linked', 'true') }} as entity_risk_rank,
        {{ risk_match_text() }} as match_text
    from matches
),

chosen as (
    select *
    from ranked
    qualify
        row_number() over (
            partition by institution_id
            order by
                entity_risk_rank desc,
                case match_path when 'own_ror' then 1 when 'ror_parent' then 2 else 3 end asc,
                entity_id asc
        ) = 1
),

all_entities as (
    select
        institution_id,
        count(*) as risk_entities_matched,
        list(
            struct_pack(
                entity_id := entity_id,
                entity_name := entity_name,
                entity_group := entity_group,
                source_lists := source_lists,
                source_url := source_url,
                match_path := match_path,
                matched_institution_id := matched_institution_id,
                matched_ror_id := matched_ror_id,
                unit_ror_id := unit_ror_id,
                reason := match_text
            )
            order by entity_risk_rank desc, entity_id asc
        ) as risk_entities
    from ranked
    group by institution_id
)

select
    chosen.institution_id,
    chosen.entity_id as risk_entity_id,
    chosen.entity_name as risk_entity_name,
    chosen.entity_group as risk_entity_group,
    chosen.source_lists as risk_entity_lists,
    chosen.source_url as risk_entity_source_url,
    chosen.match_path as risk_match_path,
    chosen.match_text as risk_match_reason,
    all_entities.risk_entities_matched,
    all_entities.risk_entities
from chosen
inner join all_entities
    on chosen.institution_id = all_entities.institution_id
