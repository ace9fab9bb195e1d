-- Europe–China AI works per year, Europe's AI output and Europe's share with China (MERICS: ~5 % in 2017,
-- ~10 % in 2021), and China's share with Europe. Source: marts.headline_figures (one row per metric, scope, period).
select
    period as publication_year,
    max(value) filter (where metric = 'eu_cn_works') as eu_cn_works,
    max(value) filter (where metric = 'europe_ai_works') as europe_ai_works,
    round(max(value) filter (where metric = 'europe_share_with_cn'), 4) as europe_share_with_cn,
    max(value) filter (where metric = 'cn_ai_works') as cn_ai_works,
    round(max(value) filter (where metric = 'cn_share_with_europe'), 4) as cn_share_with_europe
from marts.headline_figures
where scope in ('EUROPE', 'CN')
    and period not like '%-%'
group by period
order by period;
