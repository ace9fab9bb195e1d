{# `https://openalex.org/W123` -> `W123`; `https://ror.org/02kkvpp62` -> `02kkvpp62` (also repairs the
   doubled `https://ror.org/https://ror.org/...` seen in real snapshot lines). #}
{% macro openalex_short_id(column) -%}
    nullif(regexp_extract({{ column }}, '([^/]+)/?$', 1), '')
{%- endmacro %}

{% macro ror_short_id(column) -%}
    nullif(regexp_extract({{ column }}, '([0-9a-z]{9})/?$', 1), '')
{%- endmacro %}
