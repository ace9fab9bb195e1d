{{ config(meta={'dagster': {'ref': {'name': 'fct_eu_cn_works'}}}) }}
-- No work is a Europe–China work without a Chinese institution or without a European country.
select work_id, european_countries, countries
from {{ ref('fct_eu_cn_works') }}
where not list_contains(countries, 'CN')
    or len(european_countries) = 0
    or len(chinese_institutions) = 0
