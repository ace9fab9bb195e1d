-- Funding of Europe–China AI works per period: one row per year and one for the span. Shares of funding are
-- taken over the works that disclose funding (STUDY.md).
with works as (
    select * from {{ ref('fct_eu_cn_works') }}
),

periods as (
    {{ study_periods() }}
),

counted as (
    select
        periods.period,
        periods.year_from = periods.year_to as is_single_year,
        count(works.work_id) as eu_cn_works,
        count(works.work_id) filter (where works.funding_disclosed) as eu_cn_works_funding_disclosed,
        count(works.work_id) filter (where works.funding_disclosed and works.china_funded) as eu_cn_works_china_funded,
        count(works.work_id) filter (where works.funding_disclosed and works.chinese_gov_funded) as eu_cn_works_chinese_gov_funded,
        count(works.work_id) filter (where works.defence_programme_funded) as eu_cn_works_defence_programme_funded,
        count(works.work_id) filter (where works.funding_disclosed and works.european_funded) as eu_cn_works_european_funded,
        count(works.work_id) filter (
            where works.funding_disclosed and works.china_funded and works.european_funded
        ) as eu_cn_works_china_and_european_funded
    from periods
    left join works
        on works.publication_year between periods.year_from and periods.year_to
    group by periods.period, periods.year_from, periods.year_to
)

select
    *,
    {{ safe_share('eu_cn_works_funding_disclosed', 'eu_cn_works') }} as share_funding_disclosed,
    {{ safe_share('eu_cn_works_china_funded', 'eu_cn_works_funding_disclosed') }} as share_china_funded_of_disclosed,
    {{ safe_share('eu_cn_works_chinese_gov_funded', 'eu_cn_works_funding_disclosed') }} as share_china_gov_funded_of_disclosed,
    {{ safe_share('eu_cn_works_european_funded', 'eu_cn_works_funding_disclosed') }} as share_european_funded_of_disclosed,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from counted
