{# The headline metrics that count a side's or a country's AI output (agg_country_year.ai_works): counted from the
   works, or in API mode taken from OpenAlex's group_by counts (denominator_source = 'api_group_by'), whose works
   the warehouse does not hold. figure_works, figure_parts and their tests name them through this macro. #}
{% macro ai_output_metrics() -%}
    ('europe_ai_works', 'cn_ai_works', 'country_ai_works')
{%- endmacro %}
