{# Generic test: a delimited list column (e.g. tags `pla|defence_linked`) holds only accepted items, with no empty
   item. Null and '' mean an empty list and pass. #}
{% test list_values_accepted(model, column_name, values, separator='|') %}
with items as (
    select
        {{ column_name }} as list_value,
        {{ adapter.dispatch('split_to_rows', 'eu_cn_ai')(column_name, separator) }} as item
    from {{ model }}
    where {{ column_name }} is not null and {{ column_name }} <> ''
)

select list_value, item
from items
where item not in ({% for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %})
{% endtest %}

{% macro default__split_to_rows(expression, separator) -%}
    unnest(string_split({{ expression }}, '{{ separator }}'))
{%- endmacro %}

{% macro spark__split_to_rows(expression, separator) -%}
    explode(split({{ expression }}, '\\{{ separator }}'))
{%- endmacro %}
