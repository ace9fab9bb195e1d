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
-- Set-based: the strings' words are joined to the names' first words, then the whole name is compared.
with candidates as (
    select work_id from {{ ref('int_works_eu_cn_candidates') }}
),

affiliations as (
    select affiliations.*
    from {{ ref('stg_openalex__authorship_affiliations') }} as affiliations
    semi join candidates
        on affiliations.work_id = candidates.work_id
),

strings as (
    select
        work_id,
        author_position,
        string_position,
        raw_affiliation_string,
        {{ normalise_affiliation_text('raw_affiliation_string') }} as normalised
    from affiliations
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

tokenised as (
    select
        *,
        string_split(normalised, ' ') as tokens
    from strings
    where normalised <> ''
),

phrases as (
    select 'entity' as phrase_kind, entity_id as phrase_key, name as phrase, name_normalised as normalised
    from {{ ref('stg_reference__risk_entity_names') }}
    where name_kind <> 'acronym' and not is_ambiguous and unit_ror_id is null

    union all

    select 'collision' as phrase_kind, 'collision' as phrase_key, name as phrase, name_normalised as normalised
    from {{ ref('stg_reference__risk_name_collisions') }}

    union all

    select
        'place' as phrase_kind,
        case when not is_mainland then 'not_mainland' when place_kind = 'country' then 'country' else 'region' end,
        name as phrase,
        name_normalised as normalised
    from {{ ref('stg_reference__china_places') }}
),

latin_phrases as (
    select
        *,
        string_split(normalised, ' ') as tokens
    from phrases
    where normalised <> '' and not {{ has_cjk('normalised') }}
),

cjk_phrases as (
    select * from phrases
    where {{ has_cjk('normalised') }}
),

string_words as (
    select
        work_id,
        author_position,
        string_position,
        unnest(tokens) as word,
        generate_subscripts(tokens, 1) as word_position
    from tokenised
),

latin_hits as (
    select
        tokenised.work_id,
        tokenised.author_position,
        tokenised.string_position,
        latin_phrases.phrase_kind,
        latin_phrases.phrase_key,
        latin_phrases.phrase,
        'word' as span_unit,
        string_words.word_position as span_start,
        string_words.word_position + len(latin_phrases.tokens) - 1 as span_end,
        tokenised.tokens[string_words.word_position + len(latin_phrases.tokens)] as next_word
    from string_words
    inner join latin_phrases
        on string_words.word = latin_phrases.tokens[1]
    inner join tokenised
        on string_words.work_id = tokenised.work_id
            and string_words.author_position = tokenised.author_position
            and string_words.string_position = tokenised.string_position
    where list_slice(
            tokenised.tokens, string_words.word_position, string_words.word_position + len(latin_phrases.tokens) - 1
        ) = latin_phrases.tokens
),

cjk_hits as (
    select
        tokenised.work_id,
        tokenised.author_position,
        tokenised.string_position,
        cjk_phrases.phrase_kind,
        cjk_phrases.phrase_key,
        cjk_phrases.phrase,
        'character' as span_unit,
        instr(tokenised.normalised, cjk_phrases.normalised) as span_start,
        instr(tokenised.normalised, cjk_phrases.normalised) + length(cjk_phrases.normalised) - 1 as span_end,
        null::varchar as next_word
    from tokenised
    inner join cjk_phrases
        on contains(tokenised.normalised, cjk_phrases.normalised)
    where {{ has_cjk('tokenised.normalised') }}
),

hits as (
    select * from latin_hits
    union all
    select * from cjk_hits
),

in_mainland_china as (
    select
        work_id,
        author_position,
        string_position
    from hits
    group by work_id, author_position, string_position
    having bool_or(phrase_kind = 'place' and phrase_key = 'region')
        or (
            bool_or(phrase_kind = 'place' and phrase_key = 'country')
            and not bool_or(phrase_kind = 'place' and phrase_key = 'not_mainland')
        )
),

names_hit as (
    select hits.*
    from hits
    semi join in_mainland_china
        on hits.work_id = in_mainland_china.work_id
            and hits.author_position = in_mainland_china.author_position
            and hits.string_position = in_mainland_china.string_position
    where hits.phrase_kind in ('entity', 'collision')
        and coalesce(hits.next_word, '') not in ('of', 'for')
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
    strings.raw_affiliation_string,
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
inner join strings
    on per_entity.work_id = strings.work_id
        and per_entity.author_position = strings.author_position
        and per_entity.string_position = strings.string_position
inner join {{ ref('stg_reference__risk_entities') }} as entities
    on per_entity.entity_id = entities.entity_id
