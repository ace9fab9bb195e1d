-- Every name_normalised of the name seeds (written by scripts/seed_builder/names.py) is what the matcher's macro
-- normalise_affiliation_text makes of the name as written, so names and affiliation strings meet in one form;
-- script is cjk exactly when the normalised name holds an ideograph. Returns the rows that differ.
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
        {{ normalise_affiliation_text('name') }} as expected_normalised
    from named
)

select seed, name, name_normalised, expected_normalised, script
from normalised
where name_normalised is distinct from expected_normalised
    or (script is not null and (script = 'cjk') <> {{ has_cjk('name_normalised') }})
