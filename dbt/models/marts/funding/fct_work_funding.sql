-- One row per Europe–China AI work × funder × award (across OpenAlex's grants / funders / awards eras), with
-- the funder's country, its match on the Chinese funders list, the programmes it names and the funding flags.
with works as (
    select work_id, publication_year from {{ ref('fct_eu_cn_works') }}
),

funding as (
    select * from {{ ref('int_work_funding_classified') }}
)

select
    funding.funding_key,
    funding.work_id,
    works.publication_year,
    funding.funder_id,
    funding.funder_name,
    funding.funder_name_variants,
    funding.funder_ror_id,
    funding.crossref_funder_id,
    funding.funder_country_code,
    funding.award_id,
    funding.award_name,
    funding.award_openalex_id,
    funding.source_fields,
    funding.schema_era,
    funding.chinese_funder_ror_id,
    funding.chinese_funder_name,
    funding.chinese_funder_match,
    funding.is_chinese_funder,
    funding.is_chinese_government_funder,
    funding.is_defence_related_funder,
    funding.programme_keys,
    funding.is_defence_programme,
    funding.is_european_funder,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from funding
inner join works
    on funding.work_id = works.work_id
