-- Institution links: one row per (European institution, Chinese institution) pair on the same Europe–China
-- work, counted in distinct works, with first and last year, the Chinese side's risk tags, and the pair's
-- rank within its European institution's country (most works first; ties by European, then Chinese id).
-- The risk-list entity that tagged the Chinese side (itself or a parent in its lineage) is named, so a lab and
-- its listed parent can be grouped as one entity.
with works as (
    select work_id, publication_year from {{ ref('fct_eu_cn_works') }}
),

institutions as (
    select * from {{ ref('int_work_institutions_classified') }}
),

tags as (
    select * from {{ ref('int_institutions_risk_summarised') }}
),

entities as (
    select * from {{ ref('int_institution_risk_entity_chosen') }}
),

pairs as (
    select
        european.institution_id as european_institution_id,
        chinese.institution_id as chinese_institution_id,
        works.work_id,
        works.publication_year,
        european.institution_name as european_institution_name,
        european.ror_id as european_ror_id,
        european.country_code as european_country_code,
        chinese.institution_name as chinese_institution_name,
        chinese.ror_id as chinese_ror_id,
        chinese.country_code as chinese_country_code
    from works
    inner join institutions as european
        on works.work_id = european.work_id and european.is_european
    inner join institutions as chinese
        on works.work_id = chinese.work_id and chinese.is_chinese
),

links as (
    select
        european_institution_id,
        chinese_institution_id,
        any_value(european_institution_name) as european_institution_name,
        any_value(european_ror_id) as european_ror_id,
        mode(european_country_code) as european_country_code,
        any_value(chinese_institution_name) as chinese_institution_name,
        any_value(chinese_ror_id) as chinese_ror_id,
        mode(chinese_country_code) as chinese_country_code,
        count(distinct work_id) as eu_cn_works,
        min(publication_year) as first_year,
        max(publication_year) as last_year
    from pairs
    group by european_institution_id, chinese_institution_id
)

select
    links.*,
    coalesce(tags.is_pla, false) as chinese_is_pla,
    coalesce(tags.is_defence_linked, false) as chinese_is_defence_linked,
    coalesce(tags.is_security_linked, false) as chinese_is_security_linked,
    coalesce(tags.risk_level, 'none') as chinese_risk_level,
    tags.risk_reasons_text as chinese_risk_reasons_text,
    entities.risk_entity_id as chinese_risk_entity_id,
    entities.risk_entity_name as chinese_risk_entity_name,
    entities.risk_entity_lists as chinese_risk_entity_lists,
    entities.risk_match_path as chinese_risk_match_path,
    row_number() over (
        partition by links.european_country_code
        order by links.eu_cn_works desc, links.european_institution_id asc, links.chinese_institution_id asc
    ) as rank_in_country,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from links
left join tags
    on links.chinese_institution_id = tags.institution_id
left join entities
    on links.chinese_institution_id = entities.institution_id
