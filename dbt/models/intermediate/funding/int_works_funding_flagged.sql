-- One row per work that names any funding: whether it discloses a funder, and its funding flags
-- (China-funded, Chinese-government-funded, defence-programme-funded, European-funded).
with funding as (
    select * from {{ ref('int_work_funding_classified') }}
)

select
    work_id,
    count(*) as funding_rows,
    bool_or(funder_id is not null or funder_name is not null) as funding_disclosed,
    bool_or(is_chinese_funder) as china_funded,
    bool_or(is_chinese_government_funder) as chinese_gov_funded,
    bool_or(is_defence_programme) as defence_programme_funded,
    bool_or(is_european_funder) as european_funded,
    list(distinct funder_name order by funder_name) filter (where funder_name is not null) as funder_names,
    list_sort(list_distinct(flatten(list(programme_keys)))) as programme_keys
from funding
group by work_id
