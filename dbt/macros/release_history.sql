{#
  A history snapshot's rows as they stood when the previous release went live (the CTE previous_release: the
  last row of stg_history__releases): recorded by then, and not yet replaced or removed.
#}
{% macro as_of_previous_release(snapshot) -%}
    select history.*
    from {{ snapshot }} as history
    inner join previous_release
        on history.dbt_valid_from <= previous_release.published_at
            and (history.dbt_valid_to is null or history.dbt_valid_to > previous_release.published_at)
{%- endmacro %}
