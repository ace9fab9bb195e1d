-- The tag flags of every risk entity are those of its group in risk_entity_groups (the group -> tag rule of
-- docs/definitions.md, stated once there), is_aspi_very_high follows its ASPI risk level, and `tags` lists exactly
-- the true flags in the order pla|defence_linked|security_linked|aspi_very_high. Returns the rows that break it.
with entities as (
    select * from {{ ref('risk_entities') }}
),

risk_entity_groups as (
    select * from {{ ref('risk_entity_groups') }}
),

expected as (
    select
        entities.entity_id,
        entities.entity_group,
        entities.tags,
        entities.is_pla,
        entities.is_defence_linked,
        entities.is_security_linked,
        entities.is_aspi_very_high,
        risk_entity_groups.is_pla as expected_pla,
        risk_entity_groups.is_defence_linked as expected_defence_linked,
        risk_entity_groups.is_security_linked as expected_security_linked,
        coalesce(entities.aspi_risk_level = 'very high', false) as expected_aspi_very_high
    from entities
    left join risk_entity_groups
        on entities.entity_group = risk_entity_groups.entity_group
),

checked as (
    select
        *,
        nullif(concat_ws(
            '|',
            case when expected_pla then 'pla' end,
            case when expected_defence_linked then 'defence_linked' end,
            case when expected_security_linked then 'security_linked' end,
            case when expected_aspi_very_high then 'aspi_very_high' end
        ), '') as expected_tags
    from expected
)

select *
from checked
where is_pla is distinct from expected_pla
    or is_defence_linked is distinct from expected_defence_linked
    or is_security_linked is distinct from expected_security_linked
    or is_aspi_very_high <> expected_aspi_very_high
    or coalesce(tags, '') <> coalesce(expected_tags, '')
