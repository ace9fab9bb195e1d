-- The main headline figures recomputed under every named definition set, side by side: each Europe definition
-- (var europe_definitions) × AI definition (var ai_definitions) × risk-list variant (var risk_list_variants),
-- and each other risk evidence (var risk_evidences) and country attribution (var country_attributions) one at a
-- time, the rest as in force; in one pass over the works. One row per (definition_set, metric, scope, period),
-- with how far each figure moves from the set in force. When the source is the API, only the set in force has
-- denominators (the API's group_by counts were fetched for it), and only if the API's filters can express its AI
-- definition (no concept score); a wider country attribution than the fetch's has no complete numerators either.
{%- set europe_defs = europe_definitions() %}
{%- set ai_defs = ai_definitions() %}
{%- set risk_variants = risk_list_variants() %}
{%- set evidences = risk_evidences() %}
{%- set attributions = country_attributions() %}
{#- (europe, ai, risk list, evidence, attribution): the full cross of the first three under the evidence and
    attribution in force, then each other evidence and attribution with everything else in force. #}
{%- set sets = [] %}
{%- for e in europe_defs %}{% for a in ai_defs %}{% for r in risk_variants %}
{%- do sets.append((e, a, r, evidences[0], attributions[0])) %}
{%- endfor %}{% endfor %}{% endfor %}
{%- for ev in evidences[1:] %}{% do sets.append((europe_defs[0], ai_defs[0], risk_variants[0], ev, attributions[0])) %}{% endfor %}
{%- for c in attributions[1:] %}{% do sets.append((europe_defs[0], ai_defs[0], risk_variants[0], evidences[0], c)) %}{% endfor %}
with works as (
    select
        works.work_id,
        works.publication_year,
        works.has_ai_concept,
        works.ai_concept_score,
        works.has_ai_topic,
        works.has_ai_primary_topic,
        works.has_broad_ai_topic,
        {%- for c in ['by_institutions', 'with_authorship_countries'] %}
        {%- for e in europe_defs %}
        works.has_{{ e }}_{{ c }},
        {%- endfor %}
        works.has_cn_{{ c }},
        {%- endfor %}
    {%- for path in ['institution', 'text'] %}
    coalesce(risk.has_pla_by_{{ path }}, false) as has_pla_by_{{ path }},
    coalesce(risk.has_defence_linked_default_by_{{ path }}, false) as has_defence_linked_default_by_{{ path }},
    coalesce(risk.has_defence_linked_wider_by_{{ path }}, false) as has_defence_linked_wider_by_{{ path }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ ref('int_works_classified') }} as works
    left join {{ ref('int_work_risk_aggregated') }} as risk
        on works.work_id = risk.work_id
    where works.is_in_scope
        and (works.has_ai_concept or works.has_ai_topic or works.has_ai_primary_topic or works.has_broad_ai_topic)
        and (
            works.has_cn_with_authorship_countries {% for e in europe_defs %}
            or works.has_{{ e }}_with_authorship_countries{% endfor %}
        )
),

definition_sets as (
    {%- for e, a, r, ev, c in sets %}
    select
        '{{ definition_set_name(e, a, r, ev, c) }}' as definition_set,
        '{{ e }}' as europe_definition,
        '{{ a }}' as ai_definition,
        '{{ r }}' as risk_list_variant,
        '{{ ev }}' as risk_evidence,
        '{{ c }}' as country_attribution,
        {{ 'true' if (e == var('europe_definition') and a == var('ai_definition') and r == var('risk_list_variant')
            and ev == var('risk_evidence') and c == var('country_attribution')) else 'false' }} as is_definition_in_force,
        {{ 'true' if ai_definition_follows_api_counts(a) else 'false' }} as ai_follows_api_counts,
        -- The API fetch asks for works by their institutions' countries: a wider attribution is not all fetched.
        {{ 'true' if ai_definition_within_api_fetch(a) and c == 'institutions' else 'false' }} as ai_within_api_fetch
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

years as (
    select range::integer as publication_year
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
),

flagged as (
    select
        definition_sets.definition_set,
        works.publication_year,
        case definition_sets.ai_definition
            {%- for a in ai_defs %}
            when '{{ a }}' then {{ is_ai_work(a) }}
            {%- endfor %}
        end as is_ai,
        case
            {%- for c in ['by_institutions', 'with_authorship_countries'] %}
            {%- for e in europe_defs %}
            when definition_sets.europe_definition = '{{ e }}'
                and definition_sets.country_attribution {{ "=" if c == 'by_institutions' else "<>" }} 'institutions'
                then works.has_{{ e }}_{{ c }}
            {%- endfor %}
            {%- endfor %}
        end as has_europe,
        case when definition_sets.country_attribution = 'institutions' then works.has_cn_by_institutions
            else works.has_cn_with_authorship_countries
        end as has_cn,
        works.has_pla_by_institution
        or (definition_sets.risk_evidence = 'with_affiliation_text' and works.has_pla_by_text) as has_pla,
        case definition_sets.risk_list_variant
            {%- for r in risk_variants %}
            when '{{ r }}'
                then {{ defence_flag_for_variant(r, 'works.has_defence_linked_default_by_institution',
                'works.has_defence_linked_wider_by_institution') }}
                    or (
                        definition_sets.risk_evidence = 'with_affiliation_text'
                        and {{ defence_flag_for_variant(r, 'works.has_defence_linked_default_by_text',
                        'works.has_defence_linked_wider_by_text') }}
                    )
            {%- endfor %}
        end as has_defence_linked
    from works
    cross join definition_sets
),

counted as (
    select
        definition_set,
        publication_year,
        count(*) filter (where is_ai and has_europe and has_cn) as eu_cn_works,
        count(*) filter (where is_ai and has_europe) as europe_ai_works,
        count(*) filter (where is_ai and has_cn) as cn_ai_works,
        count(*) filter (where is_ai and has_europe and has_cn and has_pla) as eu_cn_works_with_pla,
        count(*) filter (where is_ai and has_europe and has_cn and has_defence_linked) as eu_cn_works_defence_linked
    from flagged
    group by definition_set, publication_year
),

api_counts as (
    select * from {{ ref('stg_openalex__work_counts') }}
),

count_mode as (
    select count(*) > 0 as uses_api_counts from api_counts
),

-- Whether each Europe definition's countries are all within the Europe in force (the countries the API fetch
-- asked for): only then are its works all among those fetched.
europe_within_fetch as (
    select
    {%- for e in europe_defs %}
        bool_and(not is_{{ e }} or is_european) as within_{{ e }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ ref('stg_reference__countries') }}
),

sets_known as (
    select
        definition_sets.*,
        -- In API mode the works are those the fetch asked for: a set's counts of works are complete only if its
        -- AI and Europe definitions are within the ones in force.
        not count_mode.uses_api_counts
        or (
            definition_sets.ai_within_api_fetch
            and case definition_sets.europe_definition
                {%- for e in europe_defs %}
                when '{{ e }}' then europe_within_fetch.within_{{ e }}
                {%- endfor %}
            end
        ) as numerators_complete,
        case
            when not count_mode.uses_api_counts then 'counted from the works'
            when definition_sets.ai_within_api_fetch
                and case definition_sets.europe_definition
                    {%- for e in europe_defs %}
                    when '{{ e }}' then europe_within_fetch.within_{{ e }}
                    {%- endfor %}
                end then 'counted from the works the API fetch returned'
            else 'not available: wider than the works the API fetch asked for (the definitions in force)'
        end as numerator_source
    from definition_sets
    cross join count_mode
    cross join europe_within_fetch
),

per_year as (
    select
        definition_sets.*,
        years.publication_year,
        case when definition_sets.numerators_complete then coalesce(counted.eu_cn_works, 0) end as eu_cn_works,
        case
            when not count_mode.uses_api_counts then 'counted from the works'
            when definition_sets.is_definition_in_force and definition_sets.ai_follows_api_counts then 'OpenAlex API group_by counts'
            when definition_sets.is_definition_in_force then 'not available: the API cannot count this AI definition (concept score)'
            else 'not available: the API counts were fetched for the definitions in force only'
        end as denominator_source,
        case
            when not count_mode.uses_api_counts then coalesce(counted.europe_ai_works, 0)
            when definition_sets.is_definition_in_force and definition_sets.ai_follows_api_counts then europe_counts.works_count
        end as europe_ai_works,
        case
            when not count_mode.uses_api_counts then coalesce(counted.cn_ai_works, 0)
            when definition_sets.is_definition_in_force and definition_sets.ai_follows_api_counts then cn_counts.works_count
        end as cn_ai_works,
        case when definition_sets.numerators_complete then coalesce(counted.eu_cn_works_with_pla, 0) end
            as eu_cn_works_with_pla,
        case when definition_sets.numerators_complete then coalesce(counted.eu_cn_works_defence_linked, 0) end
            as eu_cn_works_defence_linked
    from sets_known as definition_sets
    cross join years
    cross join count_mode
    left join counted
        on definition_sets.definition_set = counted.definition_set
            and years.publication_year = counted.publication_year
    left join api_counts as europe_counts
        on europe_counts.scope = 'EUROPE' and years.publication_year = europe_counts.publication_year
    left join api_counts as cn_counts
        on cn_counts.scope = 'CN' and years.publication_year = cn_counts.publication_year
),

span as (
    select
        definition_set,
        europe_definition,
        ai_definition,
        risk_list_variant,
        risk_evidence,
        country_attribution,
        is_definition_in_force,
        denominator_source,
        numerator_source,
        -- NULL when a year's is unknown (API mode, a definition wider than the fetch).
        case when count(eu_cn_works) = count(*) then sum(eu_cn_works) end as eu_cn_works,
        -- A span denominator is known only when every year's is.
        case when count(europe_ai_works) = count(*) then sum(europe_ai_works) end as europe_ai_works,
        case when count(cn_ai_works) = count(*) then sum(cn_ai_works) end as cn_ai_works,
        case when count(eu_cn_works_with_pla) = count(*) then sum(eu_cn_works_with_pla) end as eu_cn_works_with_pla,
        case when count(eu_cn_works_defence_linked) = count(*) then sum(eu_cn_works_defence_linked) end
            as eu_cn_works_defence_linked
    from per_year
    group by
        definition_set, europe_definition, ai_definition, risk_list_variant, risk_evidence, country_attribution,
        is_definition_in_force, denominator_source, numerator_source
),

long as (
    {#- Each figure: metric, scope, value, unit, and whether it is also given year by year (the rest over the
        span only). #}
    {%- set figures = [
        ('eu_cn_works', 'EUROPE', 'eu_cn_works::double', 'works', true),
        ('europe_ai_works', 'EUROPE', 'europe_ai_works::double', 'works', true),
        ('europe_share_with_cn', 'EUROPE', safe_share('eu_cn_works', 'europe_ai_works'), 'share', true),
        ('cn_ai_works', 'CN', 'cn_ai_works::double', 'works', false),
        ('cn_share_with_europe', 'CN', safe_share('eu_cn_works', 'cn_ai_works'), 'share', true),
        ('eu_cn_works_with_pla', 'EUROPE', 'eu_cn_works_with_pla::double', 'works', false),
        ('eu_cn_works_defence_linked', 'EUROPE', 'eu_cn_works_defence_linked::double', 'works', false),
        ('eu_cn_share_defence_linked', 'EUROPE', safe_share('eu_cn_works_defence_linked', 'eu_cn_works'), 'share', false),
    ] %}
    {%- set grains = [('per_year', 'publication_year::varchar'), ('span', "'" ~ study_span() ~ "'")] %}
    {%- for grain, period in grains %}
    {%- for metric, scope, value, unit, yearly in figures if yearly or grain == 'span' %}
    {%- if not (loop.first and grain == 'per_year') %}
    union all
    {%- endif %}
    select
        definition_set, europe_definition, ai_definition, risk_list_variant, risk_evidence, country_attribution,
        is_definition_in_force, denominator_source,
        numerator_source,
        '{{ metric }}' as metric, '{{ scope }}' as scope, {{ period }} as period, {{ value }} as value, '{{ unit }}' as unit
    from {{ grain }}
    {%- endfor %}
    {%- endfor %}
),

in_force as (
    select metric, scope, period, value as value_in_force
    from long
    where is_definition_in_force
)

select
    long.*,
    in_force.value_in_force,
    -- How far the figure moves from the set in force: -0.05 is 5 % lower. NULL where either is unknown or zero.
    {{ safe_share('long.value - in_force.value_in_force', 'in_force.value_in_force') }} as change_vs_in_force,
    {{ dataset_label() }} as dataset_label
from long
inner join in_force
    on long.metric = in_force.metric
        and long.scope = in_force.scope
        and long.period = in_force.period
