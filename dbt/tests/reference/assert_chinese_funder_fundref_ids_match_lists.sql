-- chinese_funder_fundref_ids is exactly the long form of chinese_funders.fundref_all, with one preferred id per
-- funder that names one, and NSFC identified by 501100001809. Returns what differs.
with funders as (
    select * from {{ ref('chinese_funders') }}
),

fundref_ids as (
    select * from {{ ref('chinese_funder_fundref_ids') }}
),

from_lists as (
    select ror_id, unnest(string_split(fundref_all, '|')) as fundref_id
    from funders
)

select 'id in fundref_all but not in the long seed' as problem, from_lists.ror_id, from_lists.fundref_id
from from_lists
left join fundref_ids
    on from_lists.ror_id = fundref_ids.ror_id and from_lists.fundref_id = fundref_ids.fundref_id
where fundref_ids.fundref_id is null
union all
select 'id in the long seed but not in fundref_all', fundref_ids.ror_id, fundref_ids.fundref_id
from fundref_ids
left join from_lists
    on fundref_ids.ror_id = from_lists.ror_id and fundref_ids.fundref_id = from_lists.fundref_id
where from_lists.fundref_id is null
union all
select 'preferred flag disagrees with fundref_preferred', fundref_ids.ror_id, fundref_ids.fundref_id
from fundref_ids
inner join funders
    on fundref_ids.ror_id = funders.ror_id
where fundref_ids.is_preferred <> coalesce(fundref_ids.fundref_id = funders.fundref_preferred, false)
    or (fundref_ids.is_preferred and not fundref_ids.is_primary)
union all
select 'fundref_count wrong', ror_id, cast(fundref_count as varchar)
from funders
where fundref_count <> len(string_split(fundref_all, '|'))
union all
select 'NSFC is not identified by 501100001809', '01h0zpd94', '501100001809'
where not exists (
        select 1 from fundref_ids where fundref_id = '501100001809' and ror_id = '01h0zpd94' and is_primary
    )
