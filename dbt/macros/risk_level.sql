{#- Risk levels, highest first. A work's (or a link's) level is the highest of its Chinese institutions'. -#}
{% macro risk_levels() -%}
    {{ return(['pla', 'defence_linked', 'security_linked', 'listed', 'none']) }}
{%- endmacro %}

{# The level's rank: 4 = pla … 0 = none; max() of ranks gives the highest level. #}
{% macro risk_level_rank(is_pla, is_defence_linked, is_security_linked, is_listed) -%}
    case
        when coalesce({{ is_pla }}, false) then 4
        when coalesce({{ is_defence_linked }}, false) then 3
        when coalesce({{ is_security_linked }}, false) then 2
        when coalesce({{ is_listed }}, false) then 1
        else 0
    end
{%- endmacro %}

{% macro risk_level_name(rank) -%}
    case {{ rank }} when 4 then 'pla' when 3 then 'defence_linked' when 2 then 'security_linked' when 1 then 'listed' else 'none' end
{%- endmacro %}

{# Readable reason for one risk-list match (columns of int_institution_risk_tags_matched, optionally qualified):
   "National University of Defense Technology [pla_cmc_university; lineage ancestor I123 (ROR 05d2yfz11); list: …]". #}
{% macro risk_match_text(relation='') -%}
    {%- set p = relation ~ '.' if relation else '' -%}
    {{ p }}entity_name || ' [' || {{ p }}entity_group || '; '
    || case {{ p }}match_path
        when 'own_ror' then 'own ROR ' || {{ p }}matched_ror_id
        when 'ror_parent' then 'ROR parent of unit ' || {{ p }}unit_ror_id
        else 'lineage ancestor ' || {{ p }}matched_institution_id || coalesce(' (ROR ' || {{ p }}matched_ror_id || ')', '')
    end
    || '; list: ' || coalesce({{ p }}source_lists, 'unknown') || ']'
{%- endmacro %}

{# Readable reason for one affiliation-text match (columns of int_affiliation_risk_names_matched):
   "“Fifth Medical Center of PLA General Hospital, Beijing, China” names Chinese PLA General Hospital
   [pla_medical; affiliation text “PLA General Hospital”; list: …]". #}
{% macro affiliation_text_reason() -%}
    '“' || raw_affiliation_string || '” names ' || entity_name || ' [' || entity_group
    || '; affiliation text “' || matched_name || '”; list: ' || coalesce(source_lists, 'unknown') || ']'
{%- endmacro %}
