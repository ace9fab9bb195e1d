-- The study's headline numbers as one long table: exactly one row per (metric, scope, period), under the
-- definitions in force, with the MERICS figure to compare with where reference_figures maps one.
-- Figures under other definition sets are in sensitivity_figures.
with country_year as (
    select * from {{ ref('agg_country_year') }}
),

risk as (
    select * from {{ ref('agg_risk_year') }}
    where period = '{{ study_span() }}'
),

funding as (
    select * from {{ ref('agg_funding') }}
    where period = '{{ study_span() }}'
),

links as (
    select * from {{ ref('agg_institution_links') }}
),

tum_links as (
    select count(*) filter (where european_ror_id = '{{ var("top_links_institution_ror_id") }}') as top_links_with_institution
    from links
    where european_country_code = '{{ var("top_links_country") }}'
        and rank_in_country <= {{ var('top_links_n') }}
),

span_totals as (
    select
        scope,
        scope_type,
        -- A span denominator is known only when every year's is (API counts can miss a year).
        case when count(ai_works) = count(*) then sum(ai_works) end as ai_works,
        sum(partner_works) as partner_works
    from country_year
    group by scope, scope_type
),

europe_span as (
    select * from span_totals where scope = 'EUROPE'
),

cn_span as (
    select * from span_totals where scope = 'CN'
),

long as (
    -- Per year: Europe, China and each European country.
    select 'eu_cn_works' as metric, scope, publication_year::varchar as period, partner_works::double as value, 'works' as unit
    from country_year where scope = 'EUROPE'
    union all
    select 'europe_ai_works', scope, publication_year::varchar, ai_works::double, 'works'
    from country_year where scope = 'EUROPE'
    union all
    select 'europe_share_with_cn', scope, publication_year::varchar, share_with_partner, 'share'
    from country_year where scope = 'EUROPE'
    union all
    select 'cn_ai_works', scope, publication_year::varchar, ai_works::double, 'works'
    from country_year where scope = 'CN'
    union all
    select 'cn_share_with_europe', scope, publication_year::varchar, share_with_partner, 'share'
    from country_year where scope = 'CN'
    union all
    select 'country_ai_works', scope, publication_year::varchar, ai_works::double, 'works'
    from country_year where scope_type = 'country'
    union all
    select 'country_share_with_cn', scope, publication_year::varchar, share_with_partner, 'share'
    from country_year where scope_type = 'country'

    -- The span.
    union all
    select 'eu_cn_works', 'EUROPE', '{{ study_span() }}', partner_works::double, 'works' from europe_span
    union all
    select 'europe_ai_works', 'EUROPE', '{{ study_span() }}', ai_works::double, 'works' from europe_span
    union all
    select 'europe_share_with_cn', 'EUROPE', '{{ study_span() }}', {{ safe_share('partner_works', 'ai_works') }}, 'share'
    from europe_span
    union all
    select 'cn_ai_works', 'CN', '{{ study_span() }}', ai_works::double, 'works' from cn_span
    union all
    select 'cn_share_with_europe', 'CN', '{{ study_span() }}', {{ safe_share('partner_works', 'ai_works') }}, 'share'
    from cn_span
    union all
    select 'country_ai_works', countries.scope, '{{ study_span() }}', countries.ai_works::double, 'works'
    from span_totals as countries where countries.scope_type = 'country'
    union all
    select 'country_eu_cn_works', countries.scope, '{{ study_span() }}', countries.partner_works::double, 'works'
    from span_totals as countries where countries.scope_type = 'country'
    union all
    select
        'country_share_with_cn', countries.scope, '{{ study_span() }}',
        {{ safe_share('countries.partner_works', 'countries.ai_works') }}, 'share'
    from span_totals as countries where countries.scope_type = 'country'
    union all
    select
        'cn_share_with_country', countries.scope, '{{ study_span() }}',
        {{ safe_share('countries.partner_works', 'cn_span.ai_works') }}, 'share'
    from span_totals as countries cross join cn_span where countries.scope_type = 'country'
    union all
    select
        'country_share_of_eu_cn_works', countries.scope, '{{ study_span() }}',
        {{ safe_share('countries.partner_works', 'europe_span.partner_works') }}, 'share'
    from span_totals as countries cross join europe_span where countries.scope_type = 'country'

    -- Risk of the Chinese partners.
    union all
    select 'eu_cn_works_with_pla', 'EUROPE', period, eu_cn_works_with_pla::double, 'works' from risk
    union all
    select 'eu_cn_share_with_pla', 'EUROPE', period, share_with_pla, 'share' from risk
    union all
    select 'eu_cn_works_defence_linked', 'EUROPE', period, eu_cn_works_defence_linked::double, 'works' from risk
    union all
    select 'eu_cn_share_defence_linked', 'EUROPE', period, share_defence_linked, 'share' from risk
    union all
    select 'eu_cn_works_with_pla_by_text_only', 'EUROPE', period, eu_cn_works_with_pla_by_text_only::double, 'works' from risk
    union all
    select 'eu_cn_works_defence_linked_by_text_only', 'EUROPE', period, eu_cn_works_defence_linked_by_text_only::double, 'works'
    from risk
    union all
    select 'eu_cn_works_security_linked', 'EUROPE', period, eu_cn_works_security_linked::double, 'works' from risk
    union all
    select 'eu_cn_works_dual_use', 'EUROPE', period, eu_cn_works_dual_use::double, 'works' from risk

    -- Funding.
    union all
    select 'eu_cn_works_funding_disclosed', 'EUROPE', period, eu_cn_works_funding_disclosed::double, 'works' from funding
    union all
    select 'share_china_funded_of_disclosed', 'EUROPE', period, share_china_funded_of_disclosed, 'share' from funding
    union all
    select 'share_china_gov_funded_of_disclosed', 'EUROPE', period, share_china_gov_funded_of_disclosed, 'share' from funding
    union all
    select 'eu_cn_works_defence_programme_funded', 'EUROPE', period, eu_cn_works_defence_programme_funded::double, 'works'
    from funding

    -- Institution links.
    union all
    select
        'top{{ var("top_links_n") }}_links_involving_tum', '{{ var("top_links_country") }}-CN', '{{ study_span() }}',
        top_links_with_institution::double, 'links'
    from tum_links
),

merics as (
    select *
    from {{ ref('stg_reference__reference_figures') }}
    where metric_id like 'merics%' and warehouse_metric is not null
    qualify row_number() over (
            partition by warehouse_metric, warehouse_scope, warehouse_period
            order by status = 'verified_in_stored_source' desc, metric_id
        ) = 1
),

denominators as (
    select any_value(denominator_source) as denominator_source from country_year
)

select
    long.metric,
    long.scope,
    long.period,
    long.value,
    long.unit,
    denominators.denominator_source,
    merics.reference_value as merics_value,
    merics.reference_value_text as merics_value_text,
    merics.metric_id as merics_reference_id,
    merics.status as merics_status,
    merics.source_url as merics_source,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from long
cross join denominators
left join merics
    on long.metric = merics.warehouse_metric
        and long.scope = merics.warehouse_scope
        and long.period = merics.warehouse_period
