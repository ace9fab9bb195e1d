{#- Risk levels, highest first: the one statement of their order. A work's (or a link's) level is the highest of its
   Chinese institutions'. The marts order their per-level columns by it (agg_institution_years, agg_risk_year),
   which is where Python reads it. -#}
{% macro risk_levels() -%}
    {{ return(['pla', 'defence_linked', 'security_linked', 'listed', 'none']) }}
{%- endmacro %}

{# The level's rank, from 4 = pla down to 0 = none; max() of ranks gives the highest level. One flag per level of
   risk_levels() but the last, in its order. #}
{% macro risk_level_rank(is_pla, is_defence_linked, is_security_linked, is_listed) -%}
    {%- set levels = risk_levels() -%}
    case
    {%- for flag in [is_pla, is_defence_linked, is_security_linked, is_listed] %}
        when coalesce({{ flag }}, false) then {{ levels | length - loop.index }}
    {%- endfor %}
        else 0
    end
{%- endmacro %}

{% macro risk_level_name(rank) -%}
    {%- set levels = risk_levels() -%}
    case {{ rank }}
    {%- for level in levels[:-1] %} when {{ levels | length - loop.index }} then '{{ level }}'{% endfor %}
        else '{{ levels[-1] }}'
    end
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
