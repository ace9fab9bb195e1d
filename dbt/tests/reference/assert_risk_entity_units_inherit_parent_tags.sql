-- A unit carries its parent entity's flags (units of a Seven Sons university count as seven_sons_unit), and a
-- unit is never itself a risk entity (an entity keeps its own tags). Returns the rows that break the rule.
with units as (
    select * from {{ ref('risk_entity_units') }}
),

entities as (
    select * from {{ ref('risk_entities') }}
)

select
    'flags differ from the parent entity' as problem,
    units.unit_ror_id,
    units.parent_ror_id
from units
inner join entities
    on units.parent_ror_id = entities.ror_id
where units.parent_entity_id <> entities.entity_id
    or units.parent_entity_group <> entities.entity_group
    or units.is_pla <> entities.is_pla
    or units.is_defence_linked <> entities.is_defence_linked
    or units.is_security_linked <> entities.is_security_linked
    or units.is_aspi_very_high <> entities.is_aspi_very_high
    or coalesce(units.tags, '') <> coalesce(entities.tags, '')
    or units.unit_entity_group <> case when entities.entity_group = 'seven_sons' then 'seven_sons_unit'
        else entities.entity_group
    end
union all
select
    'unit is itself a risk entity',
    units.unit_ror_id,
    units.parent_ror_id
from units
inner join entities
    on units.unit_ror_id = entities.ror_id
union all
select
    'unit is its own parent',
    unit_ror_id,
    parent_ror_id
from units
where unit_ror_id = parent_ror_id or unit_ror_id = direct_parent_ror_id
