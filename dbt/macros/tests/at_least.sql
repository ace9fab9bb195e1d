{# Generic test: every non-null value of the column is at least `min_value` (e.g. a count is never negative). #}
{% test at_least(model, column_name, min_value) %}
select {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} < {{ min_value }}
{% endtest %}
