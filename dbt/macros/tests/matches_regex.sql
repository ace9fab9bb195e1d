{# Generic test: every non-null value of the column matches `pattern` in full (a regular expression).
   e.g. ROR ids: pattern '^0[a-z0-9]{6}[0-9]{2}$'. #}
{% test matches_regex(model, column_name, pattern) %}
select {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} is not null
  and not regexp_full_match({{ column_name }}, '{{ pattern }}')
{% endtest %}
