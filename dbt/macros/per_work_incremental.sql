{# The per-work staging models (one or more rows per work, from base_openalex__works alone) are incremental:
   a rebuild reads only the works base_openalex__works (re)built since the model's own last build, appends
   their rows, then drops every row whose work is gone or was rebuilt since (its _built_at no longer matches
   the base's), which also covers a new version that yields no row at all. #}

{% macro per_work_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'post_hook': "{{ delete_superseded_work_rows() }}",
    }) }}
{%- endmacro %}

{# A where-clause condition on base_openalex__works: the works built since this model's last build. #}
{% macro built_since_last_run() -%}
    {%- if is_incremental() -%}
    _built_at > (select coalesce(max(_built_at), '-infinity'::timestamp) from {{ this }})
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{% macro delete_superseded_work_rows() -%}
    {#- After a full refresh every row is current. -#}
    {%- if is_incremental() -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from {{ ref('base_openalex__works') }} as works
        where works.work_id = built.work_id
            and works._built_at = built._built_at
    )
    {%- endif -%}
{%- endmacro %}
