-- One row per share of headline_figures (unit 'share') × part (numerator, denominator): the figure each part is,
-- by its key (metric, scope, period), with its value and whether its works are in figure_works. A share's works
-- are not copied into figure_works: they are its parts' works.
-- A part that is no headline figure (a country's Europe–China works of one year, the China-funded and
-- Chinese-government-funded works) takes its value from the mart the share is computed from (agg_country_year,
-- agg_funding), and figure_works holds its works too.
with headline as (
    select * from {{ ref('headline_figures') }}
),

country_year as (
    select * from {{ ref('agg_country_year') }}
),

funding as (
    select * from {{ ref('agg_funding') }}
),

-- Each share's numerator and denominator as headline_figures and its marts compute it; a NULL scope is the
-- share's own.
share_definitions as (
    select definitions.*
    from (
        values
        ('europe_share_with_cn', 'eu_cn_works', 'EUROPE', 'europe_ai_works', 'EUROPE'),
        ('cn_share_with_europe', 'eu_cn_works', 'EUROPE', 'cn_ai_works', 'CN'),
        ('country_share_with_cn', 'country_eu_cn_works', null, 'country_ai_works', null),
        ('cn_share_with_country', 'country_eu_cn_works', null, 'cn_ai_works', 'CN'),
        ('country_share_of_eu_cn_works', 'country_eu_cn_works', null, 'eu_cn_works', 'EUROPE'),
        ('eu_cn_share_with_pla', 'eu_cn_works_with_pla', 'EUROPE', 'eu_cn_works', 'EUROPE'),
        ('eu_cn_share_defence_linked', 'eu_cn_works_defence_linked', 'EUROPE', 'eu_cn_works', 'EUROPE'),
        ('share_china_funded_of_disclosed', 'eu_cn_works_china_funded', 'EUROPE', 'eu_cn_works_funding_disclosed', 'EUROPE'),
        ('share_china_gov_funded_of_disclosed', 'eu_cn_works_chinese_gov_funded', 'EUROPE', 'eu_cn_works_funding_disclosed', 'EUROPE')
    ) as definitions (metric, numerator_metric, numerator_scope, denominator_metric, denominator_scope)
),

parts as (
    select
        headline.metric,
        headline.scope,
        headline.period,
        headline.value,
        'numerator' as part,
        share_definitions.numerator_metric as part_metric,
        coalesce(share_definitions.numerator_scope, headline.scope) as part_scope,
        headline.period as part_period
    from headline
    inner join share_definitions
        on headline.metric = share_definitions.metric
    where headline.unit = 'share'

    union all

    select
        headline.metric,
        headline.scope,
        headline.period,
        headline.value,
        'denominator',
        share_definitions.denominator_metric,
        coalesce(share_definitions.denominator_scope, headline.scope),
        headline.period as part_period
    from headline
    inner join share_definitions
        on headline.metric = share_definitions.metric
    where headline.unit = 'share'
),

-- The parts that are no headline figure, from the marts the shares are computed from.
other_part_values as (
    select 'country_eu_cn_works' as metric, scope, publication_year::varchar as period, partner_works::double as value
    from country_year
    where scope_type = 'country'
    union all
    select 'eu_cn_works_china_funded', 'EUROPE', period, eu_cn_works_china_funded::double
    from funding
    union all
    select 'eu_cn_works_chinese_gov_funded', 'EUROPE', period, eu_cn_works_chinese_gov_funded::double
    from funding
),

sourced as (
    select
        parts.*,
        coalesce(part_figures.value, other_part_values.value) as part_value,
        part_figures.metric is not null as is_headline_figure,
        -- AI output in API mode comes from OpenAlex's group_by counts: its works are not in the warehouse.
        case
            when parts.part_metric in {{ ai_output_metrics() }} and part_figures.denominator_source = 'api_group_by'
                then 'api_group_by'
            else 'works'
        end as part_source
    from parts
    left join headline as part_figures
        on parts.part_metric = part_figures.metric
            and parts.part_scope = part_figures.scope
            and parts.part_period = part_figures.period
    left join other_part_values
        on part_figures.metric is null
            and parts.part_metric = other_part_values.metric
            and parts.part_scope = other_part_values.scope
            and parts.part_period = other_part_values.period
)

select
    metric,
    scope,
    period,
    value,
    part,
    part_metric,
    part_scope,
    part_period,
    part_value,
    is_headline_figure,
    part_source,
    part_source = 'works' as is_in_figure_works,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from sourced
