-- One row per affiliation string of the Europe–China candidate works × phrase of the reference data found in it:
-- a listed entity's usable name (no acronym, ambiguous name or unit name), a known collision, or a place (seed
-- china_places), with where it stands in the string (words, or characters for Chinese) and the word after it;
-- and whether the string places its author in mainland China: a province or city of mainland China, or China
-- itself and no place of Hong Kong, Macao or Taiwan. Set-based: the strings' words are joined to the phrases'
-- first words, then the whole phrase is compared. Read by the text matcher (int_affiliation_risk_names_matched)
-- and the review queue (risk_review_candidates).
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

placed as (
    select
        *,
        bool_or(phrase_kind = 'place' and phrase_key = 'region') over string_window
        or (
            bool_or(phrase_kind = 'place' and phrase_key = 'country') over string_window
            and not bool_or(phrase_kind = 'place' and phrase_key = 'not_mainland') over string_window
        ) as is_string_in_mainland_china
    from hits
    window string_window as (partition by work_id, author_position, string_position)
)

select
    placed.work_id,
    placed.author_position,
    placed.string_position,
    strings.raw_affiliation_string,
    placed.phrase_kind,
    placed.phrase_key,
    placed.phrase,
    placed.span_unit,
    placed.span_start,
    placed.span_end,
    placed.next_word,
    placed.is_string_in_mainland_china
from placed
inner join strings
    on placed.work_id = strings.work_id
        and placed.author_position = strings.author_position
        and placed.string_position = strings.string_position
