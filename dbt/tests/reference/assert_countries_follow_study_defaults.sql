-- The countries seed encodes STUDY.md's defaults: EU27 has 27 members; the default Europe is EU27 + GB + IS + LI
-- + NO + CH (32 countries); China is CN only; HK, MO and TW are reported separately. Returns what differs.
with countries as (
    select * from {{ ref('countries') }}
)

select 'eu27 does not have 27 members' as problem, cast(count(*) as varchar) as detail
from countries
where eu27 = 1
having count(*) <> 27
union all
select 'default Europe is not EU27 + GB + EFTA', string_agg(iso2, ',')
from countries
where europe_eu27_uk_efta = 1
having count(*) <> 32
    or count(*) filter (where iso2 in ('GB', 'IS', 'LI', 'NO', 'CH')) <> 5
    or count(*) filter (where eu27 = 1) <> 27
union all
select 'china_mainland is not exactly CN', string_agg(iso2, ',')
from countries
where china_mainland = 1
having string_agg(iso2, ',') <> 'CN'
union all
select 'HK/MO/TW flag wrong', iso2
from countries
where (is_hk_mo_tw = 1) <> (iso2 in ('HK', 'MO', 'TW'))
    or (is_hk_mo_tw = 1 and (china_mainland = 1 or reported_separately_note is null))
union all
select 'a European country is also Chinese', iso2
from countries
where (europe_eu27_uk_efta = 1 or europe_eu27_uk = 1 or europe_eu27_uk_ch_no = 1)
    and (china_mainland = 1 or china_incl_hk_mo = 1 or is_hk_mo_tw = 1)
