-- How much the Europe–China figures depend on the definitions: the span's figures under every definition set
-- (Europe × AI × risk list), the set in force first. Source: marts.sensitivity_figures.
select
    definition_set,
    is_definition_in_force,
    metric,
    scope,
    period,
    value
from marts.sensitivity_figures
where metric in ('eu_cn_works', 'eu_cn_share_defence_linked')
    and scope = 'EUROPE'
    and period like '%-%'
order by metric asc, is_definition_in_force desc, definition_set asc;
