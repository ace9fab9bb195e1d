{#
  The release log, history.releases: one row per published release, appended by the publish step
  (dagster_project/lib/release_history.py) in the release it publishes, never by dbt. Created empty here so
  that a build, by hand or in a run, always finds the source stg_history__releases reads.
#}
{% macro create_release_log() -%}
    create schema if not exists history;
    create table if not exists history.releases (
        release_id varchar not null,
        published_at timestamp not null,
        data_source varchar,
        dataset_label varchar,
        source_detail varchar,
        data_updated_through date,
        definition_set varchar,
        europe_definition varchar,
        ai_definition varchar,
        risk_list_variant varchar,
        reference_fingerprint varchar,
        risk_list_as_of date
    )
{%- endmacro %}
