{# Generic test: every non-null value of the column matches `pattern` in full (a regular expression).
   e.g. ROR ids: pattern '^0[a-z0-9]{6}[0-9]{2}$'. No dbt packages here, so this stands in for dbt_expectations. #}
{% test matches_regex(model, column_name, pattern) %}
select {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} is not null
  and not {{ adapter.dispatch('regex_full_match', 'eu_cn_ai')(column_name, pattern) }}
{% endtest %}

{% macro default__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ pattern | replace("\\", "\\\\") }})$')
{%- endmacro %}
