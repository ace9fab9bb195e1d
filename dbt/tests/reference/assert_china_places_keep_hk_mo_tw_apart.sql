-- china_places places a string in mainland China only by a CN name, and keeps Hong Kong, Macao and Taiwan apart:
-- the country names are there for each side, no CN name holds an HK, MO or TW name as whole words (so "Hong Kong,
-- China" is read as Hong Kong), and "Republic of China", held in "People's Republic of China", is not a TW name.
-- Returns what differs.
with places as (
    select * from {{ ref('china_places') }}
),

expected as (
    select t.* from (
        values
        ('china', 'CN'), ('中国', 'CN'), ('prc', 'CN'), ('p r china', 'CN'), ('people s republic of china', 'CN'),
        ('peoples r china', 'CN'), ('beijing', 'CN'), ('peking', 'CN'), ('北京', 'CN'), ('xinjiang', 'CN'),
        ('hong kong', 'HK'), ('香港', 'HK'), ('macao', 'MO'), ('macau', 'MO'), ('taiwan', 'TW'), ('台湾', 'TW'),
        ('臺灣', 'TW'), ('taipei', 'TW')
    ) as t (name_normalised, region_code)
),

not_mainland as (
    select * from places where region_code <> 'CN'
)

select 'expected place missing or in the wrong region' as problem, expected.name_normalised, expected.region_code
from expected
left join places
    on expected.name_normalised = places.name_normalised and expected.region_code = places.region_code
where places.name_normalised is null
union all
select 'mainland name holds an HK/MO/TW name', places.name_normalised, not_mainland.name_normalised as held_name
from places
inner join not_mainland
    on places.region_code = 'CN'
        and (
            (places.script = 'latin' and ' ' || places.name_normalised || ' ' like '% ' || not_mainland.name_normalised || ' %')
            or (places.script = 'cjk' and contains(places.name_normalised, not_mainland.name_normalised))
        )
union all
select 'left-out name is a place', name_normalised, region_code
from places
where name_normalised in ('republic of china', 'canton', 'amoy', 'nanyang', 'anyang', 'dali', 'aberdeen')
