-- The PLA hospitals and PLA-run bodies added from the ROR subset each name their source: the ROR record (or the
-- ROR edge naming it) as source_url, the curated_from_ror basis and, in notes, what shows that the PLA runs it.
-- Every pla_medical entity has a ROR id and a basis, and the PLA General Hospital (04gw3ra78) is one of them.
-- Returns each failing entity with its source.
with entities as (
    select * from {{ ref('risk_entities') }}
),

added as (
    select *
    from entities
    where source_lists in ('ror_cn_hk_mo_tw_subset', 'ror_cn_hk_mo_tw_subset_relationships')
)

select 'added body without its ROR record as source' as problem, entity_id, ror_id, source_url
from added
where ror_id is null
    or source_url is distinct from 'https://ror.org/' || ror_id
    or entity_group_basis <> 'curated_from_ror'
    or (source_lists = 'ror_cn_hk_mo_tw_subset') <> ror_record_in_subset
union all
select 'added body without a basis', entity_id, ror_id, source_url
from added
where coalesce(trim(notes), '') = ''
union all
select 'added body not tagged PLA and defence-linked', entity_id, ror_id, source_url
from added
where not is_pla or not is_defence_linked or entity_group not like 'pla\_%' escape '\'
union all
select 'pla_medical entity without a ROR id or a basis', entity_id, ror_id, source_url
from entities
where entity_group = 'pla_medical' and (ror_id is null or coalesce(trim(notes), '') = '')
union all
select 'the PLA General Hospital is not a pla_medical entity', 'chinese_pla_general_hospital', '04gw3ra78', null
where not exists (
        select 1 from added
        where ror_id = '04gw3ra78' and entity_id = 'chinese_pla_general_hospital' and entity_group = 'pla_medical'
    )
