{# `https://openalex.org/W123` -> `W123`: the part after the last '/'. #}
{% macro openalex_short_id(column) -%}
    nullif(regexp_extract({{ column }}, '([^/]+)/?$', 1), '')
{%- endmacro %}

{# A ROR id in any form it arrives in -> its bare 9-character id (`02kkvpp62`), the form every ror_id column holds:
   a URL (`https://ror.org/02kkvpp62`, with or without a trailing slash), a bare id, either case, padded with
   spaces, or the doubled prefix of real snapshot lines (`https://ror.org/https://ror.org/01t3wyv61`).
   NULL when no ROR id is there. #}
{% macro ror_short_id(column) -%}
    nullif(regexp_extract(lower(trim({{ column }})), '(^|/)(0[0-9a-z]{8})/?$', 2), '')
{%- endmacro %}
