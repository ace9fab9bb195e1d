-- One row per Europe–China candidate work (int_works_eu_cn_candidates) × funder × award
-- (stg_openalex__work_funding), classified:
--   Chinese funder: the funder record's country is Chinese (var china_definition), or the funder is on the
--     Chinese funders list, matched by its ROR id, else by its Crossref FundRef id;
--   Chinese government: that list marks it government;
--   programmes: funder or award names containing a programme's name variant (acronyms as whole words), or award
--     ids starting with a programme's prefix (seed funding_programmes); defence programme: var defence_programme_keys;
--   European funder: the funder's country is European (var europe_definition) or its ROR id is in
--     var eu_level_funder_ror_ids (EU bodies have no country in OpenAlex).
with candidates as (
    select * from {{ ref('int_works_eu_cn_candidates') }}
),

funding as (
    select work_funding.*
    from {{ ref('stg_openalex__work_funding') }} as work_funding
    inner join candidates
        on work_funding.work_id = candidates.work_id
),

funders as (
    select * from {{ ref('stg_openalex__funders') }}
),

chinese_funders as (
    select * from {{ ref('stg_reference__chinese_funders') }}
),

fundref_ids as (
    select * from {{ ref('stg_reference__chinese_funder_fundref_ids') }}
),

programmes as (
    select * from {{ ref('stg_reference__funding_programmes') }}
),

countries as (
    select * from {{ ref('stg_reference__countries') }}
),

enriched as (
    select
        funding.*,
        funders.country_code as funder_country_code,
        coalesce(funders.ror_id, funding.funder_ror_id) as resolved_funder_ror_id,
        funders.crossref_funder_id,
        funders.funder_name as funder_record_name
    from funding
    left join funders
        on funding.funder_id = funders.funder_id
),

list_candidates as (
    select
        enriched.funding_key,
        chinese_funders.ror_id as chinese_funder_ror_id,
        'ror' as chinese_funder_match,
        1 as match_rank
    from enriched
    inner join chinese_funders
        on enriched.resolved_funder_ror_id = chinese_funders.ror_id

    union all

    select
        enriched.funding_key,
        fundref_ids.ror_id as chinese_funder_ror_id,
        'fundref' as chinese_funder_match,
        case when fundref_ids.is_preferred then 2 else 3 end as match_rank
    from enriched
    inner join fundref_ids
        on enriched.crossref_funder_id = fundref_ids.fundref_id
),

list_matches as (
    select
        list_candidates.funding_key,
        list_candidates.chinese_funder_ror_id,
        list_candidates.chinese_funder_match,
        chinese_funders.funder_name as chinese_funder_name,
        chinese_funders.is_chinese_government,
        chinese_funders.is_defence_related
    from list_candidates
    inner join chinese_funders
        on list_candidates.chinese_funder_ror_id = chinese_funders.ror_id
    qualify row_number() over (
            partition by list_candidates.funding_key
            order by list_candidates.match_rank, list_candidates.chinese_funder_ror_id
        ) = 1
),

names as (
    select funding_key, unnest(funder_name_variants) as name_text from enriched
    union all
    select funding_key, funder_record_name from enriched where funder_record_name is not null
    union all
    select funding_key, award_name from enriched where award_name is not null
),

programme_matches as (
    select distinct
        names.funding_key,
        programmes.programme_key,
        programmes.is_defence_programme
    from names
    inner join programmes
        on (
            programmes.match_type = 'name'
            and contains(lower(names.name_text), lower(programmes.match_text))
        ) or (
            programmes.match_type = 'acronym'
            and regexp_matches(
                names.name_text, '(^|[^A-Za-z0-9])' || regexp_escape(programmes.match_text) || '([^A-Za-z0-9]|$)'
            )
        )

    union

    select distinct
        enriched.funding_key,
        programmes.programme_key,
        programmes.is_defence_programme
    from enriched
    inner join programmes
        on programmes.match_type = 'award_id_prefix'
            and starts_with(upper(enriched.award_id), upper(programmes.match_text))
),

programmes_per_row as (
    select
        funding_key,
        list(distinct programme_key order by programme_key) as programme_keys,
        bool_or(is_defence_programme) as is_defence_programme
    from programme_matches
    group by funding_key
)

select
    enriched.funding_key,
    enriched.work_id,
    enriched.funder_id,
    enriched.funder_name,
    enriched.funder_name_variants,
    enriched.resolved_funder_ror_id as funder_ror_id,
    enriched.crossref_funder_id,
    enriched.funder_country_code,
    enriched.award_id,
    enriched.award_name,
    enriched.award_openalex_id,
    enriched.source_fields,
    enriched.schema_era,
    list_matches.chinese_funder_ror_id,
    list_matches.chinese_funder_name,
    list_matches.chinese_funder_match,
    coalesce(funder_countries.is_chinese, false) or list_matches.funding_key is not null as is_chinese_funder,
    coalesce(list_matches.is_chinese_government, false) as is_chinese_government_funder,
    coalesce(list_matches.is_defence_related, false) as is_defence_related_funder,
    coalesce(programmes_per_row.programme_keys, []) as programme_keys,
    coalesce(programmes_per_row.is_defence_programme, false) as is_defence_programme,
    coalesce(funder_countries.is_european, false)
    or coalesce(enriched.resolved_funder_ror_id in (
        {%- for r in var('eu_level_funder_ror_ids') %}
        '{{ r }}'{{ ', ' if not loop.last }}
        {%- endfor %}
    ), false) as is_european_funder
from enriched
left join list_matches
    on enriched.funding_key = list_matches.funding_key
left join programmes_per_row
    on enriched.funding_key = programmes_per_row.funding_key
left join countries as funder_countries
    on enriched.funder_country_code = funder_countries.country_code
