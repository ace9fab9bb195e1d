{# The AI definition in force (var `ai_definition`), over the has_ai_* flags and ai_concept_score of
   stg_openalex__works. The concept counts at any score it is listed with, or only above a score (var
   ai_concept_min_score): see docs/definitions.md. #}
{% macro is_ai_work(definition=none) -%}
    {%- set definition = definition or var('ai_definition') -%}
    {%- if definition == 'concept_or_topic' -%} (has_ai_concept or has_ai_topic)
    {%- elif definition == 'concept_scored_or_topic' -%} (coalesce(ai_concept_score > 0, false) or has_ai_topic)
    {%- elif definition == 'concept_assigned_or_topic' -%} (coalesce(ai_concept_score >= {{ var('ai_concept_min_score') }}, false) or has_ai_topic)
    {%- elif definition == 'concept_only' -%} has_ai_concept
    {%- elif definition == 'topic_only' -%} has_ai_topic
    {%- elif definition == 'primary_topic_only' -%} has_ai_primary_topic
    {%- elif definition == 'broad' -%} (has_ai_concept or has_ai_topic or has_broad_ai_topic)
    {%- else -%} {{ exceptions.raise_compiler_error("unknown ai_definition '" ~ definition ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{# Whether the API's group_by counts (concepts.id OR topics.subfield.id, at any concept score) count the works of
   an AI definition: only then can API-mode denominators stand beside the works' own counts. #}
{% macro ai_definition_follows_api_counts(definition=none) -%}
    {{ return((definition or var('ai_definition')) == 'concept_or_topic') }}
{%- endmacro %}

{# Whether the works of an AI definition are all among those the API fetch asks for (the definition in force's
   concept OR subfield): every definition but `broad` (which adds a subfield) is. #}
{% macro ai_definition_within_api_fetch(definition) -%}
    {{ return(definition != 'broad') }}
{%- endmacro %}
