-- The tag flags of every risk entity follow its group and risk level as STUDY.md defines them, and `tags`
-- lists exactly the true flags. Returns the rows that break the rule.
with entities as (
    select * from {{ ref('risk_entities') }}
),

expected as (
    select
        entity_id,
        entity_group,
        tags,
        is_pla,
        is_defence_linked,
        is_security_linked,
        is_aspi_very_high,
        entity_group like 'pla\_%' escape '\' as expected_pla,
        entity_group like 'pla\_%' escape '\'
        or entity_group in (
            'seven_sons', 'seven_sons_unit', 'nuclear_weapons_program', 'state_defence_agency',
            'defence_industry_conglomerate'
        ) as expected_defence_linked,
        entity_group in ('public_state_security', 'peoples_armed_police') as expected_security_linked,
        coalesce(aspi_risk_level = 'very high', false) as expected_aspi_very_high
    from entities
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
where is_pla <> expected_pla
    or is_defence_linked <> expected_defence_linked
    or is_security_linked <> expected_security_linked
    or is_aspi_very_high <> expected_aspi_very_high
    or coalesce(tags, '') <> coalesce(expected_tags, '')
