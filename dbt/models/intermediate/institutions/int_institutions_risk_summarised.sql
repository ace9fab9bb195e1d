-- One row per institution known to the warehouse, with its risk tags (from every risk-list entity it
-- matches, see int_institution_risk_tags_matched) and its risk level under var risk_list_variant.
with institutions as (
    select * from {{ ref('int_institutions_unioned') }}
),

matches as (
    select * from {{ ref('int_institution_risk_tags_matched') }}
),

countries as (
    select * from {{ ref('stg_reference__countries') }}
),

tags as (
    select
        institution_id,
        bool_or(is_pla) as is_pla,
        bool_or({{ is_defence_linked('default') }}) as is_defence_linked_default,
        bool_or({{ is_defence_linked('wider_with_aspi_very_high') }}) as is_defence_linked_wider,
        bool_or(is_security_linked) as is_security_linked,
        bool_or(is_aspi_very_high) as is_aspi_very_high,
        list(
            struct_pack(
                entity_id := entity_id,
                entity_name := entity_name,
                entity_group := entity_group,
                match_path := match_path,
                unit_ror_id := unit_ror_id,
                matched_institution_id := matched_institution_id,
                matched_ror_id := matched_ror_id,
                source_lists := source_lists,
                source_url := source_url
            )
            order by entity_id
        ) as risk_matches,
        string_agg(
            {{ risk_match_text() }},
            '; '
            order by entity_id
        ) as risk_reasons_text
    from matches
    group by institution_id
),

flagged as (
    select
        institutions.*,
        coalesce(countries.is_european, false) as is_european,
        coalesce(countries.is_chinese, false) as is_chinese,
        coalesce(tags.is_pla, false) as is_pla,
        coalesce(tags.is_defence_linked_default, false) as is_defence_linked_default,
        coalesce(tags.is_defence_linked_wider, false) as is_defence_linked_wider,
        coalesce(tags.is_security_linked, false) as is_security_linked,
        coalesce(tags.is_aspi_very_high, false) as is_aspi_very_high,
        tags.institution_id is not null as is_listed,
        coalesce(tags.risk_matches, []) as risk_matches,
        tags.risk_reasons_text
    from institutions
    left join tags
        on institutions.institution_id = tags.institution_id
    left join countries
        on institutions.country_code = countries.country_code
),

leveled as (
    select
        *,
        {{ defence_flag_for_variant(
            var('risk_list_variant'), 'is_defence_linked_default', 'is_defence_linked_wider'
        ) }} as is_defence_linked
    from flagged
)

select
    *,
    {{ risk_level_rank('is_pla', 'is_defence_linked', 'is_security_linked', 'is_listed') }} as risk_level_rank,
    {{ risk_level_name(risk_level_rank('is_pla', 'is_defence_linked', 'is_security_linked', 'is_listed')) }} as risk_level
from leveled
