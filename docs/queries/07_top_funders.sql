-- Who funds Europe–China AI works: the funders named most often, in distinct works, with their country and
-- whether they are Chinese or Chinese government (MERICS: China's government is by far the most frequent
-- disclosed funder), and on how many of those works the funder's award is the National Defence Basic Scientific
-- Research Programme. That is a property of the award, not of the funder: SASTIND also funds civilian work, so
-- count the works whose row names the programme (a bool_or over the funder's rows would flag all its works).
-- Source: marts.fct_work_funding (one row per work × funder × award).
select
    coalesce(funder_name, chinese_funder_name, '(unnamed funder)') as funder_name,
    funder_country_code,
    bool_or(is_chinese_funder) as is_chinese_funder,
    bool_or(is_chinese_government_funder) as is_chinese_government_funder,
    count(distinct work_id) as eu_cn_works,
    count(distinct work_id) filter (where is_defence_programme) as defence_programme_works
from marts.fct_work_funding
group by all
order by eu_cn_works desc, funder_name asc
limit 20;
