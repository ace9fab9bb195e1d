-- One row per European institution × Chinese institution on the same Europe–China AI work (both directly, as
-- authorships' institutions): distinct works in all and per year, the Chinese partner's tags with their reasons
-- (entity, list, source, path through the lineage), the works' funders and dual-use areas, and the newest works.
with institution_works as (
    select * from {{ ref('fct_institution_eu_cn_works') }}
),

chinese_affiliations as (
    select work_institutions.work_id, work_institutions.institution_id
    from {{ ref('int_work_institutions_classified') }} as work_institutions
    semi join institution_works
        on work_institutions.work_id = institution_works.work_id
    where work_institutions.is_chinese
),

pairs as (
    select
        institution_works.*,
        chinese_affiliations.institution_id as partner_institution_id
    from institution_works
    inner join chinese_affiliations
        on institution_works.work_id = chinese_affiliations.work_id
),

years as (
    select range::integer as publication_year
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
),

pair_keys as (
    select distinct institution_id, partner_institution_id from pairs
),

pair_years as (
    select institution_id, partner_institution_id, publication_year, count(distinct work_id) as eu_cn_works
    from pairs
    group by all
),

per_year as (
    select
        pair_keys.institution_id,
        pair_keys.partner_institution_id,
        list(
            struct_pack(publication_year := years.publication_year, eu_cn_works := coalesce(counted.eu_cn_works, 0))
            order by years.publication_year
        ) as eu_cn_works_per_year
    from pair_keys
    cross join years
    left join pair_years as counted
        on pair_keys.institution_id = counted.institution_id
            and pair_keys.partner_institution_id = counted.partner_institution_id
            and years.publication_year = counted.publication_year
    group by pair_keys.institution_id, pair_keys.partner_institution_id
),

funders as (
    select institution_id, partner_institution_id, unnest(funder_names) as funder_name, work_id
    from pairs
),

funder_works as (
    select institution_id, partner_institution_id, funder_name, count(distinct work_id) as works
    from funders
    group by all
),

funders_ranked as (
    select
        institution_id,
        partner_institution_id,
        list(struct_pack(funder_name := funder_name, eu_cn_works := works) order by works desc, funder_name asc) as funders
    from funder_works
    group by institution_id, partner_institution_id
),

newest as (
    select
        institution_id,
        partner_institution_id,
        -- the five newest: enough to read a few papers before opening fct_institution_eu_cn_works for all
        list(
            struct_pack(work_id := work_id, title := title, publication_year := publication_year, doi := doi)
            order by publication_year desc, work_id desc
        )[1:5] as newest_works
    from pairs
    group by institution_id, partner_institution_id
),

aggregated as (
    select
        institution_id,
        partner_institution_id,
        any_value(institution_ror) as institution_ror,
        any_value(institution_name) as institution_name,
        any_value(country_code) as country_code,
        count(distinct work_id) as eu_cn_works,
        min(publication_year) as first_year,
        max(publication_year) as last_year,
        count(distinct work_id) filter (where china_funded) as china_funded_works,
        count(distinct work_id) filter (where defence_programme_funded) as defence_programme_funded_works,
        count(distinct work_id) filter (where is_dual_use) as dual_use_works,
        list_sort(list_distinct(flatten(list(dual_use_areas)))) as dual_use_areas
    from pairs
    group by institution_id, partner_institution_id
),

partners as (
    select * from {{ ref('int_institutions_risk_summarised') }}
),

entities as (
    select * from {{ ref('int_institution_risk_entity_chosen') }}
)

select
    aggregated.institution_id,
    aggregated.institution_ror,
    aggregated.institution_name,
    aggregated.country_code,
    aggregated.partner_institution_id,
    partners.ror_id as partner_ror,
    partners.institution_name as partner_name,
    partners.country_code as partner_country_code,
    aggregated.eu_cn_works,
    aggregated.first_year,
    aggregated.last_year,
    per_year.eu_cn_works_per_year,
    coalesce(partners.is_pla, false) as partner_is_pla,
    coalesce(partners.is_defence_linked, false) as partner_is_defence_linked,
    coalesce(partners.is_security_linked, false) as partner_is_security_linked,
    coalesce(partners.risk_level, 'none') as partner_risk_level,
    entities.risk_entity_id as partner_risk_entity_id,
    entities.risk_entity_name as partner_risk_entity_name,
    entities.risk_entity_lists as partner_risk_entity_lists,
    entities.risk_match_path as partner_risk_match_path,
    coalesce(entities.risk_entities, []) as partner_risk_entities,
    partners.risk_reasons_text as partner_risk_reasons_text,
    coalesce(funders_ranked.funders, []) as funders,
    aggregated.china_funded_works,
    aggregated.defence_programme_funded_works,
    aggregated.dual_use_works,
    aggregated.dual_use_areas,
    newest.newest_works,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from aggregated
inner join per_year
    on aggregated.institution_id = per_year.institution_id
        and aggregated.partner_institution_id = per_year.partner_institution_id
inner join newest
    on aggregated.institution_id = newest.institution_id
        and aggregated.partner_institution_id = newest.partner_institution_id
left join funders_ranked
    on aggregated.institution_id = funders_ranked.institution_id
        and aggregated.partner_institution_id = funders_ranked.partner_institution_id
left join partners
    on aggregated.partner_institution_id = partners.institution_id
left join entities
    on aggregated.partner_institution_id = entities.institution_id
