{# The label of the data set in the warehouse, as a scalar: e.g. "SYNTHETIC demo data — not real OpenAlex figures". #}
{% macro dataset_label() -%}
    (select dataset_label from {{ ref('stg_openalex__dataset') }})
{%- endmacro %}
