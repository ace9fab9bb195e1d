-- Which European countries take part in Europe–China AI works, 2017-2022 (MERICS: the UK on almost half).
-- A work with several European countries counts for each. Source: marts.fct_eu_cn_works.
with works as (
    select work_id, unnest(european_countries) as country_code
    from marts.fct_eu_cn_works
),

total as (
    select count(*) as eu_cn_works from marts.fct_eu_cn_works
)

select
    works.country_code,
    count(distinct works.work_id) as eu_cn_works_with_country,
    round(count(distinct works.work_id) / any_value(total.eu_cn_works), 4) as share_of_eu_cn_works
from works
cross join total
group by works.country_code
order by eu_cn_works_with_country desc, works.country_code asc;
