-- A review queue for the analysts who maintain the risk lists: the Chinese partners of Europe–China works that no
-- list names but whose name, or an affiliation string, suggests a military, defence or security body (var
-- risk_review_terms: PLA, People's Liberation Army, Military, Armed Police, 国防, 军, …). One row per Chinese
-- institution so named (candidate_kind 'institution'), and one per affiliation string so worded that places its
-- author in mainland China, names no listed entity and was resolved to no institution ('affiliation_string'),
-- with the works and examples. The
-- reference data grows from real data this way; nothing here tags a work.
with candidates as (
    select work_id from {{ ref('int_works_eu_cn_candidates') }}
),

terms as (
    select {{ normalise_affiliation_text('term') }} as term
    from (select unnest({{ var('risk_review_terms') }}::varchar[]) as term)
),

chinese_partners as (
    select partners.work_id, partners.institution_id, partners.institution_name, partners.ror_id
    from {{ ref('int_work_institutions_classified') }} as partners
    semi join candidates
        on partners.work_id = candidates.work_id
    where partners.is_chinese
),

listed as (
    select institution_id from {{ ref('int_institutions_risk_summarised') }}
    where is_listed
),

unlisted_partners as (
    select
        chinese_partners.*,
        ' ' || {{ normalise_affiliation_text('chinese_partners.institution_name') }} || ' ' as padded
    from chinese_partners
    anti join listed
        on chinese_partners.institution_id = listed.institution_id
),

institution_hits as (
    select
        'institution' as candidate_kind,
        unlisted_partners.institution_id as candidate_key,
        min(unlisted_partners.institution_name) as candidate_name,
        min(unlisted_partners.ror_id) as ror_id,
        list_sort(list_distinct(list(terms.term))) as matched_terms,
        count(distinct unlisted_partners.work_id) as eu_cn_works,
        list_sort(list_distinct(list(unlisted_partners.work_id)))[1:5] as example_work_ids
    from unlisted_partners
    inner join terms
        on contains(unlisted_partners.padded, ' ' || terms.term || ' ')
            or ({{ has_cjk('terms.term') }} and contains(unlisted_partners.padded, terms.term))
    group by unlisted_partners.institution_id
),

matched_strings as (
    select work_id, author_position, string_position
    from {{ ref('int_affiliation_risk_names_matched') }}
),

in_mainland_china as (
    select distinct work_id, author_position, string_position
    from {{ ref('int_affiliation_phrases_found') }}
    where is_string_in_mainland_china
),

unresolved_strings as (
    select
        affiliations.work_id,
        affiliations.raw_affiliation_string,
        ' ' || {{ normalise_affiliation_text('affiliations.raw_affiliation_string') }} || ' ' as padded
    from {{ ref('stg_openalex__authorship_affiliations') }} as affiliations
    semi join in_mainland_china
        on affiliations.work_id = in_mainland_china.work_id
            and affiliations.author_position = in_mainland_china.author_position
            and affiliations.string_position = in_mainland_china.string_position
    anti join matched_strings
        on affiliations.work_id = matched_strings.work_id
            and affiliations.author_position = matched_strings.author_position
            and affiliations.string_position = matched_strings.string_position
    where len(affiliations.resolved_institution_ids) = 0
),

string_hits as (
    select
        'affiliation_string' as candidate_kind,
        trim(unresolved_strings.padded) as candidate_key,
        min(unresolved_strings.raw_affiliation_string) as candidate_name,
        null::varchar as ror_id,
        list_sort(list_distinct(list(terms.term))) as matched_terms,
        count(distinct unresolved_strings.work_id) as eu_cn_works,
        list_sort(list_distinct(list(unresolved_strings.work_id)))[1:5] as example_work_ids
    from unresolved_strings
    inner join terms
        on contains(unresolved_strings.padded, ' ' || terms.term || ' ')
            or ({{ has_cjk('terms.term') }} and contains(unresolved_strings.padded, terms.term))
    group by trim(unresolved_strings.padded)
),

hits as (
    select * from institution_hits
    union all by name
    select * from string_hits
)

select
    candidate_kind,
    candidate_key,
    candidate_name,
    ror_id,
    matched_terms,
    eu_cn_works,
    example_work_ids,
    {{ definition_columns() }},
    {{ dataset_label() }} as dataset_label
from hits
