{# `https://openalex.org/W123` -> `W123`: the part after the last '/'. #}
{% macro openalex_short_id(column) -%}
    nullif(regexp_extract({{ column }}, '([^/]+)/?$', 1), '')
{%- endmacro %}

{# A ROR id in any form it arrives in -> its bare 9-character id (`02kkvpp62`), the form every ror_id column holds;
   NULL when the text holds no valid ROR id. The project's one statement of the rule: Python renders this macro
   and has DuckDB evaluate it (dagster_project/lib/ror_id.py). The pattern is read on the lower-cased text: a bare
   id or a URL, the prefix doubled as in real snapshot lines (`https://ror.org/https://ror.org/01t3wyv61`), either
   case, padded with blanks; then `0`, six Crockford base-32 characters and their ISO 7064 Mod 97-10 check digits.
   Held to tests/fixtures/ror_id_cases.csv, run through dbt and through Python. #}
{% macro ror_short_id(column) -%}
    {%- set pattern = '^[ \\t\\r\\n]*(?:(?:https?://)?(?:www\\.)?ror\\.org/)*(0[0-9a-hjkmnp-tv-z]{6}[0-9]{2})/?[ \\t\\r\\n]*$' -%}
    {#- The six characters as one base-32 number: the sum of each one's digit times its power of 32. -#}
    {%- set number -%}
        {%- for position in range(6) -%}
            (instr('0123456789abcdefghjkmnpqrstvwxyz', substr(ror_id, {{ position + 2 }}, 1)) - 1) * {{ 32 ** (5 - position) }}
            {%- if not loop.last %} + {% endif -%}
        {%- endfor -%}
    {%- endset -%}
    list_filter(
        [nullif(regexp_extract(lower({{ column }}), '{{ pattern }}', 1), '')],
        lambda ror_id: right(ror_id, 2) = lpad((98 - ({{ number }}) * 100 % 97)::varchar, 2, '0')
    )[1]
{%- endmacro %}
