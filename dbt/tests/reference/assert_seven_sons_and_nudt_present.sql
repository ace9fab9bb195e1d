-- Every Seven Sons university and NUDT is a risk entity with its ROR id, its group and the defence_linked tag.
-- Returns the expected entities that are missing or wrong.
with expected as (
    select t.* from (
        values
        ('00wk2mp56', 'Beihang University', 'seven_sons'),
        ('01skt4w74', 'Beijing Institute of Technology', 'seven_sons'),
        ('01yqg2h08', 'Harbin Institute of Technology', 'seven_sons'),
        ('03x80pn82', 'Harbin Engineering University', 'seven_sons'),
        ('01y0j0j86', 'Northwestern Polytechnical University', 'seven_sons'),
        ('01scyh794', 'Nanjing University of Aeronautics and Astronautics', 'seven_sons'),
        ('00xp9wg62', 'Nanjing University of Science and Technology', 'seven_sons'),
        ('05d2yfz11', 'National University of Defense Technology', 'pla_cmc_university')
    ) as t (ror_id, name_en, entity_group)
),

entities as (
    select * from {{ ref('risk_entities') }}
)

select
    expected.ror_id,
    expected.name_en,
    expected.entity_group as expected_group,
    entities.entity_group as actual_group,
    entities.is_defence_linked,
    entities.is_pla
from expected
left join entities
    on expected.ror_id = entities.ror_id
where entities.ror_id is null
    or entities.name_en <> expected.name_en
    or entities.entity_group <> expected.entity_group
    or not entities.is_defence_linked
    or (expected.entity_group = 'pla_cmc_university') <> entities.is_pla
union all
-- and no other entity claims to be one of the Seven Sons
select ror_id, name_en, 'not seven_sons', entity_group, is_defence_linked, is_pla
from entities
where entity_group = 'seven_sons'
    and ror_id not in (select expected.ror_id from expected where expected.entity_group = 'seven_sons')
