-- Every ROR id the seeds hold is a bare id that passes the project's one ROR-id rule (the ror_short_id macro:
-- format and checksum) unchanged, also each id of a pipe-joined list (an empty one among them fails). Returns the
-- ids that do not.
{%- set ror_columns = [
    ('risk_entities', 'ror_id'),
    ('risk_entity_units', 'unit_ror_id'),
    ('risk_entity_units', 'parent_ror_id'),
    ('risk_entity_units', 'direct_parent_ror_id'),
    ('risk_entity_units', "unnest(string_split(other_parent_ror_ids, '|'))"),
    ('risk_entity_names', 'unit_ror_id'),
    ('chinese_funders', 'ror_id'),
    ('chinese_funder_fundref_ids', 'ror_id'),
] %}
with ror_ids as (
    {%- for seed, column in ror_columns %}
    select
        '{{ seed }}' as seed,
        ror_id
    from (select {{ column }} as ror_id from {{ ref(seed) }})
    where ror_id is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    seed,
    ror_id
from ror_ids
where {{ ror_short_id('ror_id') }} is distinct from ror_id
