-- Risk of Europe–China AI works per period: one row per year and one for the span, with how many works have
-- a PLA, defence-linked (var risk_list_variant) or security-linked Chinese institution, each risk level, and
-- dual-use areas, and the shares of all Europe–China works.
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
        count(works.work_id) filter (where works.has_pla) as eu_cn_works_with_pla,
        count(works.work_id) filter (where works.has_pla_by_text_only) as eu_cn_works_with_pla_by_text_only,
        count(works.work_id) filter (where works.has_defence_linked) as eu_cn_works_defence_linked,
        count(works.work_id) filter (where works.has_defence_linked_by_text_only) as eu_cn_works_defence_linked_by_text_only,
        count(works.work_id) filter (where works.has_security_linked) as eu_cn_works_security_linked,
        count(works.work_id) filter (where works.has_aspi_very_high) as eu_cn_works_aspi_very_high,
        {%- for level in risk_levels() %}
        count(works.work_id) filter (where works.risk_level = '{{ level }}') as eu_cn_works_risk_level_{{ level }},
        {%- endfor %}
        count(works.work_id) filter (where works.is_dual_use) as eu_cn_works_dual_use
    from periods
    left join works
        on works.publication_year between periods.year_from and periods.year_to
    group by periods.period, periods.year_from, periods.year_to
)

select
    *,
    {{ safe_share('eu_cn_works_with_pla', 'eu_cn_works') }} as share_with_pla,
    {{ safe_share('eu_cn_works_defence_linked', 'eu_cn_works') }} as share_defence_linked,
    {{ safe_share('eu_cn_works_security_linked', 'eu_cn_works') }} as share_security_linked,
    {{ safe_share('eu_cn_works_dual_use', 'eu_cn_works') }} as share_dual_use,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from counted
