{# A seed flag as a boolean, whatever the CSV wrote: true/false, t/f, 1/0, yes/no (empty -> null). #}
{% macro to_bool(column) -%}
    case
        when lower(trim(cast({{ column }} as varchar))) in ('true', 't', '1', 'yes', 'y') then true
        when lower(trim(cast({{ column }} as varchar))) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}

{# A seed text cell as trimmed varchar, empty -> null (seeds infer numbers for ids such as FundRef ids). #}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as varchar)), '')
{%- endmacro %}
