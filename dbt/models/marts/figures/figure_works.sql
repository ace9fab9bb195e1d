-- The works behind the figures: one row per figure that counts works (metric, scope, period) × work, with the
-- work's title, year and DOI, why it counts (reason), and its risk tags with their evidence and its funding flags
-- as fct_eu_cn_works has them. The figures are headline_figures' counts of works and the parts of its shares that
-- are no headline figure (figure_parts); a share's own works are its parts'.
-- Each figure's works are the rows of the model its aggregate counts, selected by the same flags
-- (int_works_classified for AI output, fct_eu_cn_works for the Europe–China works, their risk and funding); the
-- test assert_figure_works_reproduce_figures checks that every figure's rows number its value.
-- Not here: AI output counted by OpenAlex's group_by (API mode, denominator_source = 'api_group_by'), and the
-- figures of institution links (unit 'links').
with works as (
    select work_id, publication_year, title, doi, european_countries, has_europe, has_cn, is_eu_cn
    from {{ ref('int_works_classified') }}
    where is_in_scope and is_ai
),

eu_cn_works as (
    select * from {{ ref('fct_eu_cn_works') }}
),

headline as (
    select * from {{ ref('headline_figures') }}
),

parts as (
    select * from {{ ref('figure_parts') }}
),

periods as (
    {{ study_periods() }}
),

-- AI output is held by works only when it was counted from them.
count_mode as (
    select bool_or(denominator_source = 'works') as ai_output_from_works
    from headline
    where metric in {{ ai_output_metrics() }}
),

ai_output_works as (
    select works.*
    from works
    cross join count_mode
    where count_mode.ai_output_from_works
),

-- Each figure's works, by metric and scope, with the year that places them in a period.
members as (
    -- AI output (agg_country_year.ai_works).
    select
        'europe_ai_works' as metric,
        'EUROPE' as scope,
        work_id,
        publication_year,
        'AI work with a European institution (' || array_to_string(european_countries, ', ') || ')' as reason
    from ai_output_works
    where has_europe
    union all
    select 'cn_ai_works', 'CN', work_id, publication_year, 'AI work with a Chinese institution'
    from ai_output_works
    where has_cn
    union all
    select 'country_ai_works', country, work_id, publication_year, 'AI work with an institution in ' || country
    from (select *, unnest(european_countries) as country from ai_output_works) as ai_output_countries

    -- Europe–China works (agg_country_year.partner_works, agg_risk_year, agg_funding: fct_eu_cn_works).
    union all
    select
        'eu_cn_works', 'EUROPE', work_id, publication_year,
        'Europe–China AI work: institutions in ' || array_to_string(european_countries, ', ') || ' and China'
    from eu_cn_works
    union all
    select
        'country_eu_cn_works', country, work_id, publication_year,
        'Europe–China AI work with an institution in ' || country
    from (select *, unnest(european_countries) as country from eu_cn_works) as eu_cn_countries
    {#- Each Europe–China figure of works: its metric, why a work counts in it, and which works do. #}
    {%- set eu_cn_figures = [
        ('eu_cn_works_with_pla', "'PLA partner: ' || risk_reasons_text", 'has_pla'),
        ('eu_cn_works_defence_linked', "'defence-linked partner (PLA included): ' || risk_reasons_text",
         'has_defence_linked'),
        ('eu_cn_works_with_pla_by_text_only', "'PLA on affiliation text alone: ' || risk_reasons_text",
         'has_pla_by_text_only'),
        ('eu_cn_works_defence_linked_by_text_only', "'defence-linked on affiliation text alone: ' || risk_reasons_text",
         'has_defence_linked_by_text_only'),
        ('eu_cn_works_security_linked', "'security-linked partner: ' || risk_reasons_text", 'has_security_linked'),
        ('eu_cn_works_dual_use', "'dual-use areas: ' || array_to_string(dual_use_areas, ', ')", 'is_dual_use'),
        ('eu_cn_works_funding_disclosed', "'discloses funding: ' || array_to_string(funder_names, '; ')",
         'funding_disclosed'),
        ('eu_cn_works_china_funded',
         "'Chinese funder, of those disclosing: ' || array_to_string(funder_names, '; ')",
         'funding_disclosed and china_funded'),
        ('eu_cn_works_chinese_gov_funded',
         "'Chinese government funder, of those disclosing: ' || array_to_string(funder_names, '; ')",
         'funding_disclosed and chinese_gov_funded'),
        ('eu_cn_works_defence_programme_funded', "'defence programme funding: ' || array_to_string(funder_names, '; ')",
         'defence_programme_funded'),
    ] %}
    {%- for metric, reason, condition in eu_cn_figures %}
    union all
    select '{{ metric }}', 'EUROPE', work_id, publication_year, {{ reason }}
    from eu_cn_works
    where {{ condition }}
    {%- endfor %}
),

-- The figures: headline counts of works, and the shares' parts that are no headline figure.
figures as (
    select metric, scope, period, true as is_headline_figure
    from headline
    where unit = 'works'
    union
    select part_metric, part_scope, part_period, false
    from parts
    where not is_headline_figure and is_in_figure_works
)

select
    figures.metric,
    figures.scope,
    figures.period,
    figures.is_headline_figure,
    members.work_id,
    members.publication_year,
    works.title,
    works.doi,
    members.reason,
    works.is_eu_cn,
    eu_cn_works.risk_level,
    eu_cn_works.risk_reasons,
    eu_cn_works.risk_reasons_text,
    eu_cn_works.has_pla,
    eu_cn_works.has_defence_linked,
    eu_cn_works.has_security_linked,
    eu_cn_works.has_pla_by_text_only,
    eu_cn_works.has_defence_linked_by_text_only,
    eu_cn_works.is_dual_use,
    eu_cn_works.dual_use_areas,
    eu_cn_works.funding_disclosed,
    eu_cn_works.china_funded,
    eu_cn_works.chinese_gov_funded,
    eu_cn_works.defence_programme_funded,
    eu_cn_works.european_funded,
    eu_cn_works.funder_names,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from figures
inner join periods
    on figures.period = periods.period
inner join members
    on figures.metric = members.metric
        and figures.scope = members.scope
        and members.publication_year between periods.year_from and periods.year_to
inner join works
    on members.work_id = works.work_id
left join eu_cn_works
    on members.work_id = eu_cn_works.work_id
