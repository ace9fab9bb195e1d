{# Generic test: a delimited list column (e.g. tags `pla|defence_linked`) holds only accepted items, with no empty
   item. Null and '' mean an empty list and pass. dbt_utils ships no test of list items. #}
{% test list_values_accepted(model, column_name, values, separator='|') %}
with items as (
    select
        {{ column_name }} as list_value,
        unnest(string_split({{ column_name }}, '{{ separator }}')) as item
    from {{ model }}
    where {{ column_name }} is not null and {{ column_name }} <> ''
)

select list_value, item
from items
where item not in ({% for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %})
{% endtest %}
