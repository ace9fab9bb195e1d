-- No name the matcher may use is a known collision or a place: the build drops a name that another body carries
-- (risk_name_collisions) and none equals a china_places name. The cases that motivate the lists hold: CSIC and
-- Northeastern University are not names of a listed entity, "PLA General Hospital" names the PLA General Hospital
-- alone. Returns the offending names.
with names as (
    select * from {{ ref('risk_entity_names') }}
),

collisions as (
    select * from {{ ref('risk_name_collisions') }}
),

places as (
    select * from {{ ref('china_places') }}
)

select 'name is a known collision' as problem, names.entity_id, names.name_normalised
from names
inner join collisions
    on names.name_normalised = collisions.name_normalised
union all
select 'name is a place', names.entity_id, names.name_normalised
from names
inner join places
    on names.name_normalised = places.name_normalised
union all
select 'collision without a listed look-alike or a reason', name_normalised, what_it_names
from collisions
where found_by = 'ror_subset_check' and resembles_entity_ids is null
union all
select 'expected collision missing', expected.name_normalised, expected.country_code
from (
    values
    ('csic', 'ES'), ('northeastern university', 'US'), ('usc', 'US'), ('usc', 'ES'), ('sdu', 'DK'),
    ('walter reed army institute of research', 'US'), ('israel defense forces', 'IL'),
    ('nigerian defence academy', 'NG'), ('national defense medical center', 'TW')
) as expected (name_normalised, country_code)
left join collisions
    on expected.name_normalised = collisions.name_normalised and expected.country_code = collisions.country_code
where collisions.name_normalised is null
union all
select 'PLA General Hospital not matched to it alone', 'chinese_pla_general_hospital', 'pla general hospital'
where not exists (
        select 1 from names
        where name_normalised = 'pla general hospital'
            and entity_id = 'chinese_pla_general_hospital'
            and not is_ambiguous
    )
