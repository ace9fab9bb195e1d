{# The per-work models (rows that depend on one work alone, plus the seeds and vars: authorships, institutions,
   topics, funding, the work's countries and flags) are incremental. A rebuild reads only the works their input
   model (re)built since their own last build, appends those works' rows, then drops every row whose work is
   gone or was rebuilt since (its _built_at no longer matches base_openalex__works'), which also covers a new
   version that yields no row at all. A change of their SQL, the macros, the seeds or the vars makes the
   pipeline rebuild them whole (incremental_fingerprint in dagster_project/assets/dbt.py). #}

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
