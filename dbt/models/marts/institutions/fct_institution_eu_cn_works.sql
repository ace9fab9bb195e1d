-- One row per European institution × Europe–China AI work it is on directly (as an authorship's institution),
-- with the work's facts: year, title, DOI, its Chinese side's risk, funding and dual-use areas. The base of the
-- institution profiles; "our papers with a PLA partner" is one filter on it.
with works as (
    select * from {{ ref('fct_eu_cn_works') }}
),

european_affiliations as (
    select work_institutions.work_id, work_institutions.institution_id
    from {{ ref('int_work_institutions_classified') }} as work_institutions
    semi join works
        on work_institutions.work_id = works.work_id
    where work_institutions.is_european
),

institutions as (
    select institution_id, institution_name, ror_id, country_code
    from {{ ref('int_institutions_unioned') }}
)

select
    european_affiliations.institution_id,
    institutions.ror_id as institution_ror,
    institutions.institution_name,
    institutions.country_code,
    works.work_id,
    works.publication_year,
    works.title,
    works.doi,
    works.chinese_institutions,
    works.has_pla,
    works.has_defence_linked,
    works.has_security_linked,
    works.risk_level,
    works.risk_reasons_text,
    works.funding_disclosed,
    works.china_funded,
    works.chinese_gov_funded,
    works.defence_programme_funded,
    works.funder_names,
    works.is_dual_use,
    works.dual_use_areas,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from european_affiliations
inner join works
    on european_affiliations.work_id = works.work_id
left join institutions
    on european_affiliations.institution_id = institutions.institution_id
