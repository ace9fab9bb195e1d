{#- The named definition sets of the study (docs/definitions.md). Every mart row carries the ones in force. -#}

{# The span of the study period as a label, e.g. '2017-2022'. #}
{% macro study_span() -%}
    {{ var('study_start_year') }}-{{ var('study_end_year') }}
{%- endmacro %}

{# Definition lists compared in sensitivity_figures: var `list_var`, with the definition in force (var `in_force_var`)
   first and always among them. #}
{% macro in_force_first(in_force_var, list_var) -%}
    {%- set items = [var(in_force_var)] -%}
    {%- for d in var(list_var) if d not in items -%}{%- do items.append(d) -%}{%- endfor -%}
    {{ return(items) }}
{%- endmacro %}

{% macro europe_definitions() -%}{{ return(in_force_first('europe_definition', 'europe_definitions')) }}{%- endmacro %}
{% macro ai_definitions() -%}{{ return(in_force_first('ai_definition', 'ai_definitions')) }}{%- endmacro %}
{% macro risk_list_variants() -%}{{ return(in_force_first('risk_list_variant', 'risk_list_variants')) }}{%- endmacro %}
{% macro risk_evidences() -%}{{ return(in_force_first('risk_evidence', 'risk_evidences')) }}{%- endmacro %}
{% macro country_attributions() -%}{{ return(in_force_first('country_attribution', 'country_attributions')) }}{%- endmacro %}

{# The readable name of a definition set: europe/ai/risk list, e.g. 'eu27_uk_efta/concept_or_topic/default', and
   the risk evidence and country attribution when they are not the project's first (standard) ones, e.g.
   '…/default/evidence=ror_and_lineage'. #}
{% macro definition_set_name(europe=none, ai=none, risk=none, evidence=none, countries=none) -%}
    {%- set europe = europe or var('europe_definition') -%}
    {%- set ai = ai or var('ai_definition') -%}
    {%- set risk = risk or var('risk_list_variant') -%}
    {%- set evidence = evidence or var('risk_evidence') -%}
    {%- set countries = countries or var('country_attribution') -%}
    {{ europe | replace('europe_', '', 1) }}/{{ ai }}/{{ risk }}
    {%- if evidence != var('risk_evidences')[0] %}/evidence={{ evidence }}{% endif %}
    {%- if countries != var('country_attributions')[0] %}/countries={{ countries }}{% endif %}
{%- endmacro %}

{# The columns naming the definitions in force; every mart row carries them. #}
{% macro definition_columns() -%}
    '{{ definition_set_name() }}' as definition_set,
    '{{ var("europe_definition") }}' as europe_definition,
    '{{ var("ai_definition") }}' as ai_definition,
    '{{ var("risk_list_variant") }}' as risk_list_variant
{%- endmacro %}

{# Defence-linked under a risk-list variant, over the is_defence_linked / is_aspi_very_high flags. #}
{% macro is_defence_linked(variant=none, defence='is_defence_linked', aspi_very_high='is_aspi_very_high') -%}
    {%- set variant = variant or var('risk_list_variant') -%}
    {%- if variant == 'default' -%} coalesce({{ defence }}, false)
    {%- elif variant == 'wider_with_aspi_very_high' -%} (coalesce({{ defence }}, false) or coalesce({{ aspi_very_high }}, false))
    {%- else -%} {{ exceptions.raise_compiler_error("unknown risk_list_variant '" ~ variant ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{# A share whose denominator is zero (or unknown) is NULL. #}
{% macro safe_share(numerator, denominator) -%}
    (({{ numerator }})::double / nullif(({{ denominator }})::double, 0))
{%- endmacro %}

{# Of two precomputed flags, the one for a risk-list variant: default -> default_column,
   wider_with_aspi_very_high -> wider_column. #}
{% macro defence_flag_for_variant(variant, default_column, wider_column) -%}
    {%- if variant == 'default' -%} {{ default_column }}
    {%- elif variant == 'wider_with_aspi_very_high' -%} {{ wider_column }}
    {%- else -%} {{ exceptions.raise_compiler_error("unknown risk_list_variant '" ~ variant ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{# One row per study year and one for the span: (period, year_from, year_to), for per-period aggregates. #}
{% macro study_periods() -%}
    select range::varchar as period, range::integer as year_from, range::integer as year_to
    from range({{ var('study_start_year') }}, {{ var('study_end_year') }} + 1)
    union all
    select '{{ study_span() }}', {{ var('study_start_year') }}, {{ var('study_end_year') }}
{%- endmacro %}
