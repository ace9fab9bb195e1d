-- One row per work: the staged work with its countries and its European / Chinese / Europe–China flags.
-- Europe follows var europe_definition (has_europe), with one has_<definition> flag per Europe definition;
-- China follows var china_definition; countries follow var country_attribution, and each flag is also given by
-- both attributions (for sensitivity_figures).
{{ config(**per_work_incremental_config()) }}
-- depends_on: {{ ref('base_openalex__works') }}  (its post-hook drops rows of works rebuilt since)
with works as (
    select * from {{ ref('stg_openalex__works') }}
    where {{ built_since_last_run() }}
),

work_countries as (
    select * exclude (_built_at) from {{ ref('int_work_countries_aggregated') }}
)

select
    works.*,
    coalesce(work_countries.countries, []) as countries,
    coalesce(work_countries.european_countries, []) as european_countries,
    coalesce(work_countries.has_europe, false) as has_europe,
    coalesce(work_countries.has_cn, false) as has_cn,
    coalesce(work_countries.has_europe, false) and coalesce(work_countries.has_cn, false) as is_eu_cn,
    {%- for attribution in ['by_institutions', 'with_authorship_countries'] %}
    coalesce(work_countries.has_cn_{{ attribution }}, false) as has_cn_{{ attribution }},
    {%- for d in europe_definitions() %}
    coalesce(work_countries.has_{{ d }}_{{ attribution }}, false) as has_{{ d }}_{{ attribution }},
    {%- endfor %}
    {%- endfor %}
{%- for d in europe_definitions() %}
coalesce(work_countries.has_{{ d }}, false) as has_{{ d }}{{ ',' if not loop.last }}
{%- endfor %}
from works
left join work_countries
    on works.work_id = work_countries.work_id
