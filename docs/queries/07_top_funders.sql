-- Who funds Europe–China AI works: the funders named most often, in distinct works, with their country and
-- whether they are Chinese, Chinese government or a defence programme (MERICS: China's government is by far
-- the most frequent disclosed funder). Source: marts.fct_work_funding (one row per work × funder × award).
select
    coalesce(funder_name, chinese_funder_name, '(unnamed funder)') as funder_name,
    funder_country_code,
    bool_or(is_chinese_funder) as is_chinese_funder,
    bool_or(is_chinese_government_funder) as is_chinese_government_funder,
    bool_or(is_defence_programme) as is_defence_programme,
    count(distinct work_id) as eu_cn_works
from marts.fct_work_funding
group by all
order by eu_cn_works desc, funder_name
limit 20;
