{# Generic test: the column is the model's key, every row has one and no two rows share it (dbt's not_null and
   unique as one node: one query, one check, half the per-test overhead of a build). Failing rows: each missing
   or repeated key, with how many rows have it. #}
{% test primary_key(model, column_name) %}
select {{ column_name }} as key_value, count(*) as rows_with_it
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1
{% endtest %}
