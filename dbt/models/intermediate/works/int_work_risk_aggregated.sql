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

-- A string that names a known look-alike of a listed entity is credited to none of the entities it resembles, even
-- when OpenAlex resolved it to the listed institution ("China University of Mining and Technology, Beijing"
-- resolved to the Xuzhou university): an institution adds no tag to a work if every string of the work resolved
-- to it names a look-alike of every entity it matches.
look_alikes as (
    select
        found.work_id,
        found.author_position,
        found.string_position,
        unnest(collisions.resembles_entity_ids) as entity_id
    from {{ ref('int_affiliation_phrases_found') }} as found
    inner join {{ ref('stg_reference__risk_name_collisions') }} as collisions
        on found.phrase = collisions.name
    where found.phrase_kind = 'collision'
),

resolved_strings as (
    select
        affiliations.work_id,
        affiliations.author_position,
        affiliations.string_position,
        unnest(affiliations.resolved_institution_ids) as institution_id
    from {{ ref('stg_openalex__authorship_affiliations') }} as affiliations
    semi join candidates
        on affiliations.work_id = candidates.work_id
),

credited_elsewhere as (
    select distinct
        resolved_strings.work_id,
        resolved_strings.institution_id
    from resolved_strings
    inner join matches
        on resolved_strings.institution_id = matches.institution_id
    anti join look_alikes
        on resolved_strings.work_id = look_alikes.work_id
            and resolved_strings.author_position = look_alikes.author_position
            and resolved_strings.string_position = look_alikes.string_position
            and matches.entity_id = look_alikes.entity_id
),

look_alike_only as (
    select distinct
        resolved_strings.work_id,
        resolved_strings.institution_id
    from resolved_strings
    inner join matches
        on resolved_strings.institution_id = matches.institution_id
    anti join credited_elsewhere
        on resolved_strings.work_id = credited_elsewhere.work_id
            and resolved_strings.institution_id = credited_elsewhere.institution_id
),

-- The Chinese institutions whose tags the work carries: all but those its strings name only as a look-alike.
credited_affiliations as (
    select chinese_affiliations.*
    from chinese_affiliations
    anti join look_alike_only
        on chinese_affiliations.work_id = look_alike_only.work_id
            and chinese_affiliations.institution_id = look_alike_only.institution_id
),

tagged as (
    select
        chinese_affiliations.work_id,
        chinese_affiliations.institution_id,
        chinese_affiliations.institution_name,
        chinese_affiliations.ror_id,
        credited_affiliations.institution_id is not null as is_credited,
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
    left join credited_affiliations
        on chinese_affiliations.work_id = credited_affiliations.work_id
            and chinese_affiliations.institution_id = credited_affiliations.institution_id
),

by_institution as (
    select
        work_id,
        list(
            struct_pack(
                institution_id := institution_id,
                institution_name := institution_name,
                ror_id := ror_id,
                risk_level := case when is_credited then coalesce(risk_level, 'none') else 'none' end
            )
            order by institution_id
        ) as chinese_institutions,
        coalesce(bool_or(is_pla) filter (where is_credited), false) as has_pla,
        coalesce(bool_or(is_defence_linked_default) filter (where is_credited), false) as has_defence_linked_default,
        coalesce(bool_or(is_defence_linked_wider) filter (where is_credited), false) as has_defence_linked_wider,
        coalesce(bool_or(is_security_linked) filter (where is_credited), false) as has_security_linked,
        coalesce(bool_or(is_aspi_very_high) filter (where is_credited), false) as has_aspi_very_high,
        coalesce(bool_or(is_listed) filter (where is_credited), false) as has_listed,
        coalesce(max(risk_level_rank) filter (where is_credited), 0) as risk_level_rank
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
        credited_affiliations.work_id,
        list(
            struct_pack(
                chinese_institution_id := credited_affiliations.institution_id,
                chinese_institution_name := credited_affiliations.institution_name,
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
            order by credited_affiliations.institution_id, matches.entity_id
        ) as risk_reasons,
        string_agg(
            credited_affiliations.institution_name || ' → ' || {{ risk_match_text('matches') }},
            '; '
            order by credited_affiliations.institution_id, matches.entity_id
        ) as risk_reasons_text
    from credited_affiliations
    inner join matches
        on credited_affiliations.institution_id = matches.institution_id
    group by credited_affiliations.work_id
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
