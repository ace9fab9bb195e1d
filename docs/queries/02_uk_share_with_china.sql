-- The UK's AI output co-authored with Chinese institutions, per year (MERICS: 11 % in 2017, 21 % in 2021),
-- beside Germany and France. OpenAlex writes GB for the United Kingdom. Source: marts.agg_country_year.
select
    publication_year,
    scope as country_code,
    ai_works,
    partner_works as works_with_cn,
    round(share_with_partner, 4) as share_with_cn,
    denominator_source
from marts.agg_country_year
where scope in ('GB', 'DE', 'FR')
order by scope = 'GB' desc, scope asc, publication_year asc;
