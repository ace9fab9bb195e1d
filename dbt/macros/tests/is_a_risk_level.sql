{# Generic test: every non-null value of the column is one of risk_levels(), the one statement of the levels and
   their order. #}
{% test is_a_risk_level(model, column_name) %}
select {{ column_name }} as failing_value
from {{ model }}
where {{ column_name }} not in (
    {%- for level in risk_levels() %}'{{ level }}'{{ ', ' if not loop.last }}{% endfor -%}
)
{% endtest %}
