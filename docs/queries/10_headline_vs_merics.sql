-- Every headline figure that MERICS also published, ours beside theirs (the MERICS value, its wording and
-- whether it was confirmed in a stored source). Source: marts.headline_figures.
select
    metric,
    scope,
    period,
    value,
    unit,
    merics_value,
    merics_status
from marts.headline_figures
where merics_value is not null
order by metric, scope, period;
