{{ config(meta={'dagster': {'ref': {'name': 'headline_figures'}}}) }}
-- Every share is within [0, 1] (NULL is allowed: a zero denominator). Returns the offending figures.
select 'headline_figures' as mart, metric, scope, period, value
from {{ ref('headline_figures') }}
where unit = 'share' and (value < 0 or value > 1)

union all

select 'agg_country_year', 'share_with_partner', scope, publication_year::varchar, share_with_partner
from {{ ref('agg_country_year') }}
where share_with_partner < 0 or share_with_partner > 1
