{# CJK ideographs as the text matcher reads them: 〇, the unified ideographs and their extension A, the
   compatibility ideographs. #}
{% macro cjk_class() -%}\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}{%- endmacro %}

{# An affiliation string or a listed name as the text matcher compares them: accents dropped, lower case, every run
   of characters that is neither a latin letter, a digit nor a CJK ideograph made one space, trimmed, and the space
   between two ideographs closed (twice: RE2 has no look-ahead, one pass closes every other gap). So "People's
   Liberation Army" reads "people s liberation army" and Chinese text is one run. scripts/seed_builder/names.py writes the
   name seeds' name_normalised by the same rule, and a reference test holds the two to it. #}
{% macro normalise_affiliation_text(expr) -%}
regexp_replace(
    regexp_replace(
        trim(regexp_replace(lower(strip_accents({{ expr }})), '[^a-z0-9{{ cjk_class() }}]+', ' ', 'g')),
        '([{{ cjk_class() }}]) ([{{ cjk_class() }}])', '\1\2', 'g'
    ),
    '([{{ cjk_class() }}]) ([{{ cjk_class() }}])', '\1\2', 'g'
)
{%- endmacro %}

{# Whether a text holds a CJK ideograph. #}
{% macro has_cjk(expr) -%}
regexp_matches({{ expr }}, '[{{ cjk_class() }}]')
{%- endmacro %}
