-- risk_entity_names follows the rules of scripts/seed_builder/names.py: a one-token latin name of up to 6 characters and a
-- CJK name of up to 3 characters are acronyms (never matched alone), token_count counts the latin tokens (0 for
-- CJK), a name kept for two entities is marked ambiguous and one kept for one entity is not, and a unit's name
-- maps to the unit's parent. Returns the rows that break a rule.
with names as (
    select * from {{ ref('risk_entity_names') }}
),

units as (
    select * from {{ ref('risk_entity_units') }}
),

entities_per_name as (
    select name_normalised, count(distinct entity_id) as entities
    from names
    group by name_normalised
)

select 'short name not an acronym' as problem, entity_id, name
from names
where name_kind <> 'acronym'
    and (
        (script = 'latin' and token_count = 1 and length(name_normalised) <= 6)
        or (script = 'cjk' and length(name_normalised) <= 3)
    )
union all
select 'token_count wrong', entity_id, name
from names
where token_count <> case when script = 'latin' then len(string_split(name_normalised, ' ')) else 0 end
union all
select 'is_ambiguous wrong', names.entity_id, names.name
from names
inner join entities_per_name
    on names.name_normalised = entities_per_name.name_normalised
where names.is_ambiguous <> (entities_per_name.entities > 1)
union all
select 'unit name mapped to another entity than its parent', names.entity_id, names.name
from names
inner join units
    on names.unit_ror_id = units.unit_ror_id
where names.entity_id <> units.parent_entity_id
