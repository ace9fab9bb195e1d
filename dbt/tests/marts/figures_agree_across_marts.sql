{{ config(meta={'dagster': {'ref': {'name': 'headline_figures'}}}) }}
-- Named as the Dagster check it replaced (a Python check before), so the check keeps its history.
-- The headline figures agree with the marts they summarise: Europe–China works = rows of fct_eu_cn_works (per
-- year and span), Europe's AI output = agg_country_year, PLA / defence-linked works = the flags of
-- fct_eu_cn_works; and every mart row carries the same dataset label and definition set.
-- Returns the disagreements.
with works as (
    select * from {{ ref('fct_eu_cn_works') }}
),

headline as (
    select * from {{ ref('headline_figures') }}
),

span as (
    select min(period) filter (where period like '%-%') as period
    from headline
),

recount as (
    select 'eu_cn_works' as metric, 'EUROPE' as scope, publication_year::varchar as period, count(*)::double as value
    from works
    group by publication_year

    union all

    select 'eu_cn_works', 'EUROPE', span.period, count(*)::double
    from works cross join span
    group by span.period

    union all

    select 'eu_cn_works_with_pla', 'EUROPE', span.period, (count(*) filter (where works.has_pla))::double
    from works cross join span
    group by span.period

    union all

    select 'eu_cn_works_defence_linked', 'EUROPE', span.period, (count(*) filter (where works.has_defence_linked))::double
    from works cross join span
    group by span.period

    union all

    select 'europe_ai_works', 'EUROPE', publication_year::varchar, ai_works::double
    from {{ ref('agg_country_year') }}
    where scope = 'EUROPE'
),

figure_mismatches as (
    select
        recount.metric,
        recount.scope,
        recount.period,
        recount.value as recounted,
        headline.value as headline
    from recount
    left join headline
        on recount.metric = headline.metric
            and recount.scope = headline.scope
            and recount.period = headline.period
    where headline.value is distinct from recount.value
),

labels as (
    select dataset_label, definition_set from headline
    union all
    select dataset_label, definition_set from works
    union all
    select dataset_label, definition_set from {{ ref('agg_country_year') }}
    union all
    select dataset_label, definition_set from {{ ref('agg_institution_links') }}
),

label_mismatches as (
    select
        'distinct dataset labels and definition sets' as metric,
        'ALL' as scope,
        'ALL' as period,
        count(distinct dataset_label)::double as recounted,
        count(distinct definition_set)::double as headline
    from labels
    having count(distinct dataset_label) > 1 or count(distinct definition_set) > 1
)

select * from figure_mismatches
union all
select * from label_mismatches
