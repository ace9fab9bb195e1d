{# The AI definition in force (var `ai_definition`), over the has_ai_* flags of stg_openalex__works. #}
{% macro is_ai_work(definition=none) -%}
    {%- set definition = definition or var('ai_definition') -%}
    {%- if definition == 'concept_or_topic' -%} (has_ai_concept or has_ai_topic)
    {%- elif definition == 'concept_only' -%} has_ai_concept
    {%- elif definition == 'topic_only' -%} has_ai_topic
    {%- elif definition == 'primary_topic_only' -%} has_ai_primary_topic
    {%- elif definition == 'broad' -%} (has_ai_concept or has_ai_topic or has_broad_ai_topic)
    {%- else -%} {{ exceptions.raise_compiler_error("unknown ai_definition '" ~ definition ~ "'") }}
    {%- endif -%}
{%- endmacro %}
