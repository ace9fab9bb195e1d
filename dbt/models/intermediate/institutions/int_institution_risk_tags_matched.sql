-- One row per institution × risk-list entity it matches, with how it matched (its best path):
--   own_ror          the institution's own ROR id is the entity's ROR id;
--   ror_parent       the institution's ROR id is a unit (lab, college) whose ROR parent is the entity
--                    (seed risk_entity_units);
--   lineage_ancestor an institution in its OpenAlex lineage (a parent) has the entity's ROR id, or is such a unit.
-- Lineage ids are looked up among all institutions known (institution records and those seen on works).
with institutions as (
    select institution_id, ror_id, ancestor_ids from {{ ref('int_institutions_unioned') }}
),

entities as (
    select * from {{ ref('stg_reference__risk_entities') }}
),

units as (
    select * from {{ ref('stg_reference__risk_entity_units') }}
),

-- The ROR ids to look up for each institution: its own, and those of its lineage ancestors.
own_rors as (
    select
        institution_id,
        institution_id as matched_institution_id,
        ror_id as matched_ror_id,
        false as is_via_lineage
    from institutions
    where ror_id is not null
),

ancestors as (
    select
        institution_id,
        unnest(ancestor_ids) as ancestor_id
    from institutions
),

ancestor_rors as (
    select
        ancestors.institution_id,
        ancestor_records.institution_id as matched_institution_id,
        ancestor_records.ror_id as matched_ror_id,
        true as is_via_lineage
    from ancestors
    inner join institutions as ancestor_records
        on ancestors.ancestor_id = ancestor_records.institution_id
    where ancestor_records.ror_id is not null
),

candidates as (
    select * from own_rors
    union all
    select * from ancestor_rors
),

direct_matches as (
    select
        candidates.*,
        entities.entity_id,
        case when candidates.is_via_lineage then 'lineage_ancestor' else 'own_ror' end as match_path,
        null::varchar as unit_ror_id
    from candidates
    inner join entities
        on candidates.matched_ror_id = entities.ror_id
),

unit_matches as (
    select
        candidates.*,
        entities.entity_id,
        case when candidates.is_via_lineage then 'lineage_ancestor' else 'ror_parent' end as match_path,
        units.unit_ror_id
    from candidates
    inner join units
        on candidates.matched_ror_id = units.unit_ror_id
    inner join entities
        on units.parent_entity_id = entities.entity_id
            or (units.parent_entity_id is null and units.parent_ror_id = entities.ror_id)
),

all_matches as (
    select * from direct_matches
    union all
    select * from unit_matches
),

best_path as (
    select *
    from all_matches
    qualify row_number() over (
            partition by institution_id, entity_id
            order by
                case match_path when 'own_ror' then 1 when 'ror_parent' then 2 else 3 end,
                matched_institution_id
        ) = 1
)

select
    best_path.institution_id,
    best_path.entity_id,
    best_path.match_path,
    best_path.matched_institution_id,
    best_path.matched_ror_id,
    best_path.unit_ror_id,
    entities.entity_name,
    entities.entity_name_zh,
    entities.entity_group,
    entities.ror_id as entity_ror_id,
    entities.is_pla,
    entities.is_defence_linked,
    entities.is_security_linked,
    entities.is_aspi_very_high,
    entities.aspi_risk_level,
    entities.source_lists,
    entities.source_url,
    entities.as_of_date
from best_path
inner join entities
    on best_path.entity_id = entities.entity_id
