-- Uneven partners: growth of Europe's AI output, China's, the UK's and Germany's, and of the Europe–China works,
-- as index figures (the first study year = 100). "Europe" is var europe_definition (EU27 + UK + EFTA by
-- default). Source: marts.agg_country_year (EUROPE's partner_works_index is the Europe–China works' growth).
select
    publication_year,
    max(ai_works_index) filter (where scope = 'EUROPE') as europe_ai_output_index,
    max(ai_works_index) filter (where scope = 'CN') as china_ai_output_index,
    max(ai_works_index) filter (where scope = 'GB') as uk_ai_output_index,
    max(ai_works_index) filter (where scope = 'DE') as germany_ai_output_index,
    max(partner_works_index) filter (where scope = 'EUROPE') as eu_cn_works_index
from marts.agg_country_year
group by publication_year
order by publication_year;
