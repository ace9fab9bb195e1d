{# The OpenAlex schema era of a raw work record, from which fields it carries:
   2021 (host_venue), 2024–Oct 2025 (grants), Nov 2025 (grants + funders/awards), 2026 (funders/awards).
   The rule's one statement: the raw asset's and the API landing's era counts render this macro too
   (dagster_project/ingest/raw_schema.py), so it reads raw.works' columns and nothing of dbt's context. #}
{% macro schema_era() -%}
    case
        when host_venue is not null then '2021_host_venue'
        when grants is not null and (funders is not null or awards is not null) then 'grants_funders_awards'
        when grants is not null then 'grants'
        when funders is not null or awards is not null then 'funders_awards'
        else 'unknown'
    end
{%- endmacro %}
