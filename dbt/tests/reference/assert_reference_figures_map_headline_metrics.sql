-- The MERICS key figures are mapped onto the headline metrics of STUDY.md, and the mapping columns are set
-- together or not at all. Returns what differs.
with figures as (
    select * from {{ ref('reference_figures') }}
),

expected as (
    select t.* from (
        values
        ('eu_cn_works', 'EUROPE', '2017-2022', '37000'),
        ('eu_cn_works_defence_linked', 'EUROPE', '2017-2022', '16386'),
        ('eu_cn_works_with_pla', 'EUROPE', '2017-2022', '87'),
        ('country_share_of_eu_cn_works', 'GB', '2017-2022', '0.5'),
        ('top10_links_involving_tum', 'DE-CN', '2017-2022', '7')
    ) as t (warehouse_metric, warehouse_scope, warehouse_period, value)
)

select 'key figure not mapped' as problem, expected.warehouse_metric as detail
from expected
left join figures
    on expected.warehouse_metric = figures.warehouse_metric
        and expected.warehouse_scope = figures.warehouse_scope
        and expected.warehouse_period = figures.warehouse_period
        and expected.value = figures.value
where figures.metric_id is null
union all
select 'mapping columns only partly set', metric_id
from figures
where (warehouse_metric is null) <> (warehouse_scope is null)
    or (warehouse_metric is null) <> (warehouse_period is null)
union all
select 'mapped figure without a numeric value', metric_id
from figures
where warehouse_metric is not null and value_numeric is null
