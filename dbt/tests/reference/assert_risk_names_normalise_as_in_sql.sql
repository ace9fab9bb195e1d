-- Every name_normalised of the name seeds is what this DuckDB expression (normalise_sql in scripts/seed_names.py)
-- makes of the name as written, so the matcher can normalise affiliation strings the same way: accents dropped,
-- lower case, every run of characters that is neither a latin letter, a digit nor a CJK ideograph (〇,
-- U+3400-9FFF, U+F900-FAFF) made one space, trimmed, then the space between two CJK ideographs closed (twice: RE2
-- has no look-ahead, one pass closes every other gap). script is cjk exactly when the normalised name holds an
-- ideograph. Returns the rows that differ.
with named as (
    select 'risk_entity_names' as seed, name, name_normalised, script from {{ ref('risk_entity_names') }}
    union all
    select 'risk_name_collisions', name, name_normalised, null from {{ ref('risk_name_collisions') }}
    union all
    select 'china_places', name, name_normalised, script from {{ ref('china_places') }}
),

normalised as (
    select
        *,
        regexp_replace(
            regexp_replace(
                trim(regexp_replace(
                    lower(strip_accents(name)), '[^a-z0-9\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}]+', ' ', 'g'
                )),
                '([\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}]) ([\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}])',
                '\1\2',
                'g'
            ),
            '([\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}]) ([\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}])',
            '\1\2',
            'g'
        ) as expected_normalised
    from named
)

select seed, name, name_normalised, expected_normalised, script
from normalised
where name_normalised is distinct from expected_normalised
    or (
        script is not null
        and (script = 'cjk') <> regexp_matches(name_normalised, '[\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}]')
    )
