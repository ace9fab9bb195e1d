-- One row per authorship string × risk-list entity the string names by text, on the Europe–China candidate works:
-- the evidence of the `affiliation_text` match path, for the entities that no institution OpenAlex resolved the
-- string to already matches (those are matched by ROR id). Precision comes first:
--   * the string places the author in mainland China (seed china_places): it names a province or city of mainland
--     China, or China itself and no place of Hong Kong, Macao or Taiwan;
--   * a name is a whole run of words (or, in Chinese, of characters); acronyms, ambiguous names and the names of
--     units (a lab or hospital of a listed body, often run jointly with another) never match;
--     a latin name followed by "of" or "for" is part of a longer name ("Nanjing University of Posts and ...");
--   * the longest name wins: a listed name inside a longer listed name, or inside a known collision (seed
--     risk_name_collisions: a name that holds a listed one but names another body), is dropped ("Nanjing
--     University" inside "Nanjing University of Science and Technology").
-- The phrases come from int_affiliation_phrases_found (set-based: words joined to the phrases' first words).
with phrases_found as (
    select * from {{ ref('int_affiliation_phrases_found') }}
),

affiliations as (
    select affiliations.*
    from {{ ref('stg_openalex__authorship_affiliations') }} as affiliations
    semi join {{ ref('int_works_eu_cn_candidates') }} as candidates
        on affiliations.work_id = candidates.work_id
),

-- The entities the string's resolved institutions already match (own ROR id, ROR parent, lineage).
resolved_entities as (
    select distinct
        resolved.work_id,
        resolved.author_position,
        resolved.string_position,
        matches.entity_id
    from (
        select work_id, author_position, string_position, unnest(resolved_institution_ids) as institution_id
        from affiliations
    ) as resolved
    inner join {{ ref('int_institution_risk_tags_matched') }} as matches
        on resolved.institution_id = matches.institution_id
),

names_hit as (
    select * from phrases_found
    where is_string_in_mainland_china
        and phrase_kind in ('entity', 'collision')
        and coalesce(next_word, '') not in ('of', 'for')
),

entity_hits as (
    select * from names_hit
    where phrase_kind = 'entity'
),

longest as (
    select entity_hits.*
    from entity_hits
    anti join names_hit as longer
        on entity_hits.work_id = longer.work_id
            and entity_hits.author_position = longer.author_position
            and entity_hits.string_position = longer.string_position
            and entity_hits.span_unit = longer.span_unit
            and entity_hits.span_start >= longer.span_start
            and entity_hits.span_end <= longer.span_end
            and (
                entity_hits.span_end - entity_hits.span_start < longer.span_end - longer.span_start
                or (
                    longer.phrase_kind = 'collision'
                    and entity_hits.span_start = longer.span_start
                    and entity_hits.span_end = longer.span_end
                )
            )
),

per_entity as (
    select
        longest.work_id,
        longest.author_position,
        longest.string_position,
        any_value(longest.raw_affiliation_string) as raw_affiliation_string,
        longest.phrase_key as entity_id,
        arg_max(longest.phrase, longest.span_end - longest.span_start) as matched_name
    from longest
    anti join resolved_entities
        on longest.work_id = resolved_entities.work_id
            and longest.author_position = resolved_entities.author_position
            and longest.string_position = resolved_entities.string_position
            and longest.phrase_key = resolved_entities.entity_id
    group by longest.work_id, longest.author_position, longest.string_position, longest.phrase_key
)

select
    per_entity.work_id,
    per_entity.author_position,
    per_entity.string_position,
    per_entity.raw_affiliation_string,
    per_entity.matched_name,
    per_entity.entity_id,
    entities.entity_name,
    entities.entity_name_zh,
    entities.entity_group,
    entities.ror_id as entity_ror_id,
    entities.is_pla,
    entities.is_defence_linked,
    entities.is_security_linked,
    entities.is_aspi_very_high,
    entities.aspi_risk_level,
    entities.source_lists,
    entities.source_url
from per_entity
inner join {{ ref('stg_reference__risk_entities') }} as entities
    on per_entity.entity_id = entities.entity_id
