-- One row per institution known to the warehouse (OpenAlex institution records and institutions seen on
-- works), with its country side, its risk tags and level, the risk-list entities it matched and how, and the
-- number of Europe–China AI works it is on.
with institutions as (
    select * from {{ ref('int_institutions_risk_summarised') }}
),

eu_cn_works as (
    select
        work_institutions.institution_id,
        count(distinct work_institutions.work_id) as eu_cn_works
    from {{ ref('int_work_institutions_classified') }} as work_institutions
    inner join {{ ref('fct_eu_cn_works') }} as works
        on work_institutions.work_id = works.work_id
    group by work_institutions.institution_id
)

select
    institutions.institution_id,
    institutions.institution_name,
    institutions.ror_id,
    institutions.country_code,
    institutions.institution_type,
    institutions.lineage_ids,
    institutions.ancestor_ids,
    institutions.has_institution_record,
    institutions.is_european,
    institutions.is_chinese,
    institutions.is_pla,
    institutions.is_defence_linked,
    institutions.is_defence_linked_default,
    institutions.is_defence_linked_wider,
    institutions.is_security_linked,
    institutions.is_aspi_very_high,
    institutions.is_listed,
    institutions.risk_level,
    institutions.risk_matches,
    institutions.risk_reasons_text,
    institutions.works_seen,
    coalesce(eu_cn_works.eu_cn_works, 0) as eu_cn_works,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from institutions
left join eu_cn_works
    on institutions.institution_id = eu_cn_works.institution_id
