-- One row per Europe–China AI work in scope (the study's core population), with its European countries and
-- institutions, its Chinese institutions and their risk tags (and why), its funding flags and dual-use areas.
with works as (
    select * from {{ ref('int_works_classified') }}
    where is_in_scope and is_ai and is_eu_cn
),

-- Only these works' institutions: aggregating every work's into lists first would hold them all in memory.
institutions as (
    select work_institutions.*
    from {{ ref('int_work_institutions_classified') }} as work_institutions
    semi join works
        on work_institutions.work_id = works.work_id
),

european_institutions as (
    select
        work_id,
        list(
            struct_pack(
                institution_id := institution_id,
                institution_name := institution_name,
                ror_id := ror_id,
                country_code := country_code
            )
            order by institution_id
        ) as european_institutions
    from institutions
    where is_european
    group by work_id
),

risk as (
    select * from {{ ref('int_work_risk_aggregated') }}
),

funding as (
    select * from {{ ref('int_works_funding_flagged') }}
),

dual_use as (
    select
        work_id,
        list(dual_use_area order by dual_use_area) as dual_use_areas
    from {{ ref('int_work_dual_use_topics_matched') }}
    group by work_id
)

select
    works.work_id,
    works.publication_year,
    works.title,
    works.doi,
    works.european_countries,
    works.countries,
    coalesce(european_institutions.european_institutions, []) as european_institutions,
    coalesce(risk.chinese_institutions, []) as chinese_institutions,
    coalesce(risk.has_pla, false) as has_pla,
    coalesce(risk.has_defence_linked, false) as has_defence_linked,
    coalesce(risk.has_security_linked, false) as has_security_linked,
    coalesce(risk.has_aspi_very_high, false) as has_aspi_very_high,
    -- Tagged on affiliation-text evidence alone: no Chinese institution of the work carries the tag.
    coalesce(risk.has_pla and not risk.has_pla_by_institution, false) as has_pla_by_text_only,
    coalesce(risk.has_defence_linked and not {{ defence_flag_for_variant(var('risk_list_variant'),
        'risk.has_defence_linked_default_by_institution', 'risk.has_defence_linked_wider_by_institution') }}, false)
        as has_defence_linked_by_text_only,
    coalesce(risk.risk_level, 'none') as risk_level,
    coalesce(risk.risk_reasons, []) as risk_reasons,
    risk.risk_reasons_text,
    coalesce(funding.funding_disclosed, false) as funding_disclosed,
    coalesce(funding.china_funded, false) as china_funded,
    coalesce(funding.chinese_gov_funded, false) as chinese_gov_funded,
    coalesce(funding.defence_programme_funded, false) as defence_programme_funded,
    coalesce(funding.european_funded, false) as european_funded,
    coalesce(funding.funder_names, []) as funder_names,
    coalesce(dual_use.dual_use_areas, []) as dual_use_areas,
    dual_use.work_id is not null as is_dual_use,
    works.schema_era,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from works
left join european_institutions
    on works.work_id = european_institutions.work_id
left join risk
    on works.work_id = risk.work_id
left join funding
    on works.work_id = funding.work_id
left join dual_use
    on works.work_id = dual_use.work_id
