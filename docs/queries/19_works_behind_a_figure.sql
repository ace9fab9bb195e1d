-- The works behind one headline figure, each with why it counts: here "works with a PLA institution" over the
-- study span. Change the metric, scope and period to open another figure (`make works FIGURE=… SCOPE=… PERIOD=…`
-- prints the same); a share's works are its numerator's and denominator's, named in marts.figure_parts.
-- The number of rows is the figure's value (figure_value). Source: marts.figure_works.
with figure as (
    select metric, scope, period, value
    from marts.headline_figures
    where metric = 'eu_cn_works_with_pla'
        and scope = 'EUROPE'
        and period like '%-%'
),

works as (
    select figure_works.*
    from marts.figure_works
    inner join figure
        on figure_works.metric = figure.metric
            and figure_works.scope = figure.scope
            and figure_works.period = figure.period
)

select
    works.work_id,
    works.publication_year,
    works.title,
    works.doi,
    works.reason,
    works.risk_level,
    works.has_pla_by_text_only,
    figure.value as figure_value
from works
cross join figure
order by works.publication_year, works.work_id;
