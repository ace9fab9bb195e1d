-- One row per Europe–China candidate work (int_works_eu_cn_candidates): its Chinese institutions, their risk
-- tags, the work's risk level (the highest of its Chinese partners') and the reasons: which institution matched
-- which risk-list entity, by which path, from which list; and which affiliation string named a listed entity
-- (match path affiliation_text, int_affiliation_risk_names_matched). Each flag comes by institution (ROR ids,
-- ROR parents, lineage), by text, and as the evidence in force (var risk_evidence) combines them.
{%- set with_text = var('risk_evidence') == 'with_affiliation_text' %}
{%- if var('risk_evidence') not in var('risk_evidences') %}
{{ exceptions.raise_compiler_error("unknown risk_evidence '" ~ var('risk_evidence') ~ "'") }}
{%- endif %}
with candidates as (
    select * from {{ ref('int_works_eu_cn_candidates') }}
),

chinese_affiliations as (
    select affiliations.*
    from {{ ref('int_work_institutions_classified') }} as affiliations
    inner join candidates
        on affiliations.work_id = candidates.work_id
    where affiliations.is_chinese
),

institution_tags as (
    select * from {{ ref('int_institutions_risk_summarised') }}
),

matches as (
    select * from {{ ref('int_institution_risk_tags_matched') }}
),

text_matches as (
    select * from {{ ref('int_affiliation_risk_names_matched') }}
),

tagged as (
    select
        chinese_affiliations.work_id,
        chinese_affiliations.institution_id,
        chinese_affiliations.institution_name,
        chinese_affiliations.ror_id,
        institution_tags.is_pla,
        institution_tags.is_defence_linked,
        institution_tags.is_defence_linked_default,
        institution_tags.is_defence_linked_wider,
        institution_tags.is_security_linked,
        institution_tags.is_aspi_very_high,
        institution_tags.is_listed,
        institution_tags.risk_level_rank,
        institution_tags.risk_level
    from chinese_affiliations
    left join institution_tags
        on chinese_affiliations.institution_id = institution_tags.institution_id
),

by_institution as (
    select
        work_id,
        list(
            struct_pack(
                institution_id := institution_id,
                institution_name := institution_name,
                ror_id := ror_id,
                risk_level := coalesce(risk_level, 'none')
            )
            order by institution_id
        ) as chinese_institutions,
        coalesce(bool_or(is_pla), false) as has_pla,
        coalesce(bool_or(is_defence_linked_default), false) as has_defence_linked_default,
        coalesce(bool_or(is_defence_linked_wider), false) as has_defence_linked_wider,
        coalesce(bool_or(is_security_linked), false) as has_security_linked,
        coalesce(bool_or(is_aspi_very_high), false) as has_aspi_very_high,
        coalesce(bool_or(is_listed), false) as has_listed,
        coalesce(max(risk_level_rank), 0) as risk_level_rank
    from tagged
    group by work_id
),

by_text as (
    select
        work_id,
        bool_or(is_pla) as has_pla,
        bool_or({{ is_defence_linked('default') }}) as has_defence_linked_default,
        bool_or({{ is_defence_linked('wider_with_aspi_very_high') }}) as has_defence_linked_wider,
        bool_or(is_security_linked) as has_security_linked,
        bool_or(is_aspi_very_high) as has_aspi_very_high,
        max({{ risk_level_rank('is_pla', is_defence_linked(), 'is_security_linked', 'true') }}) as risk_level_rank
    from text_matches
    group by work_id
),

institution_reasons as (
    select
        chinese_affiliations.work_id,
        list(
            struct_pack(
                chinese_institution_id := chinese_affiliations.institution_id,
                chinese_institution_name := chinese_affiliations.institution_name,
                entity_id := matches.entity_id,
                entity_name := matches.entity_name,
                entity_group := matches.entity_group,
                match_path := matches.match_path,
                unit_ror_id := matches.unit_ror_id,
                matched_institution_id := matches.matched_institution_id,
                matched_ror_id := matches.matched_ror_id,
                source_lists := matches.source_lists,
                source_url := matches.source_url,
                affiliation_string := null::varchar,
                matched_name := null::varchar
            )
            order by chinese_affiliations.institution_id, matches.entity_id
        ) as risk_reasons,
        string_agg(
            chinese_affiliations.institution_name || ' → ' || {{ risk_match_text('matches') }},
            '; '
            order by chinese_affiliations.institution_id, matches.entity_id
        ) as risk_reasons_text
    from chinese_affiliations
    inner join matches
        on chinese_affiliations.institution_id = matches.institution_id
    group by chinese_affiliations.work_id
),

-- One reason per string and entity: a string shared by many authors of a work is one piece of evidence.
text_evidence as (
    select
        work_id,
        raw_affiliation_string,
        entity_id,
        any_value(matched_name) as matched_name,
        any_value(entity_name) as entity_name,
        any_value(entity_group) as entity_group,
        any_value(source_lists) as source_lists,
        any_value(source_url) as source_url,
        min(author_position) as author_position,
        min(string_position) as string_position
    from text_matches
    group by work_id, raw_affiliation_string, entity_id
),

text_reasons as (
    select
        work_id,
        list(
            struct_pack(
                chinese_institution_id := null::varchar,
                chinese_institution_name := null::varchar,
                entity_id := entity_id,
                entity_name := entity_name,
                entity_group := entity_group,
                match_path := 'affiliation_text',
                unit_ror_id := null::varchar,
                matched_institution_id := null::varchar,
                matched_ror_id := null::varchar,
                source_lists := source_lists,
                source_url := source_url,
                affiliation_string := raw_affiliation_string,
                matched_name := matched_name
            )
            order by author_position, string_position, entity_id
        ) as risk_reasons,
        string_agg(
            {{ affiliation_text_reason() }},
            '; '
            order by author_position, string_position, entity_id
        ) as risk_reasons_text
    from text_evidence
    group by work_id
)

select
    by_institution.work_id,
    by_institution.chinese_institutions,
    {%- for flag in ['has_pla', 'has_defence_linked_default', 'has_defence_linked_wider', 'has_security_linked', 'has_aspi_very_high'] %}
    by_institution.{{ flag }} as {{ flag }}_by_institution,
    coalesce(by_text.{{ flag }}, false) as {{ flag }}_by_text,
    by_institution.{{ flag }}{% if with_text %} or coalesce(by_text.{{ flag }}, false){% endif %} as {{ flag }},
    {%- endfor %}
    {{ defence_flag_for_variant(var('risk_list_variant'), 'by_institution.has_defence_linked_default',
        'by_institution.has_defence_linked_wider') }}
    {%- if with_text %} or coalesce({{ defence_flag_for_variant(var('risk_list_variant'), 'by_text.has_defence_linked_default',
        'by_text.has_defence_linked_wider') }}, false){% endif %} as has_defence_linked,
    coalesce(by_institution.has_listed{% if with_text %} or by_text.work_id is not null{% endif %}, false) as has_listed,
    {%- set rank %}greatest(by_institution.risk_level_rank{% if with_text %}, coalesce(by_text.risk_level_rank, 0){% endif %}){% endset %}
    {{ rank }} as risk_level_rank,
    {{ risk_level_name(rank) }} as risk_level,
    -- The work's level would be lower without its affiliation-text evidence.
    {{ rank }} > by_institution.risk_level_rank as is_risk_level_from_text_only,
    list_concat(
        coalesce(institution_reasons.risk_reasons, []){% if with_text %}, coalesce(text_reasons.risk_reasons, []){% endif %}
    ) as risk_reasons,
    nullif(concat_ws(
        '; ', institution_reasons.risk_reasons_text{% if with_text %}, text_reasons.risk_reasons_text{% endif %}
    ), '') as risk_reasons_text
from by_institution
left join by_text
    on by_institution.work_id = by_text.work_id
left join institution_reasons
    on by_institution.work_id = institution_reasons.work_id
left join text_reasons
    on by_institution.work_id = text_reasons.work_id
