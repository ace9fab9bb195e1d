"""The raw layer's typed shape: only the fields the study needs, read once with explicit types.

Explicit columns keep DuckDB from auto-detecting nested records (3x slower at scale) and make every
OpenAlex schema era load into one table: a field an era lacks is NULL, an unknown field is ignored.
Fields whose shape changed between eras (keywords) are kept as JSON.
"""

import re
from collections import Counter

import duckdb

from ..lib.dbt_macros import render_macro

_NAMED = "STRUCT(id VARCHAR, display_name VARCHAR)"
_TOPIC = (
    "STRUCT(id VARCHAR, display_name VARCHAR, score DOUBLE, "
    f"subfield {_NAMED}, field {_NAMED}, domain {_NAMED})"
)
_INSTITUTION = (
    "STRUCT(id VARCHAR, display_name VARCHAR, ror VARCHAR, country_code VARCHAR, type VARCHAR, lineage VARCHAR[])"
)

COLUMNS: dict[str, dict[str, str]] = {
    "works": {
        "id": "VARCHAR",
        "doi": "VARCHAR",
        "title": "VARCHAR",
        "display_name": "VARCHAR",
        "publication_year": "INTEGER",
        "publication_date": "VARCHAR",
        "language": "VARCHAR",
        "type": "VARCHAR",
        "is_retracted": "BOOLEAN",
        "is_paratext": "BOOLEAN",
        "updated_date": "VARCHAR",
        # The affiliation as the paper printed it: `raw_affiliation_strings` (2023 on), `raw_affiliation_string`
        # (before), and `affiliations` (2024 on: each string with the institutions OpenAlex resolved it to).
        "authorships": (
            "STRUCT(author_position VARCHAR, author STRUCT(id VARCHAR, display_name VARCHAR), "
            f"institutions {_INSTITUTION}[], countries VARCHAR[], raw_affiliation_strings VARCHAR[], "
            "raw_affiliation_string VARCHAR, affiliations STRUCT(raw_affiliation_string VARCHAR, institution_ids VARCHAR[])[])[]"
        ),
        # List endpoints cut authorships at 100 and say so; the countries of all authors are counted regardless.
        "is_authors_truncated": "BOOLEAN",
        "countries_distinct_count": "INTEGER",
        "concepts": "STRUCT(id VARCHAR, display_name VARCHAR, level INTEGER, score DOUBLE)[]",
        "topics": f"{_TOPIC}[]",
        "primary_topic": _TOPIC,
        "keywords": "JSON",
        "grants": "STRUCT(funder VARCHAR, funder_display_name VARCHAR, award_id VARCHAR)[]",
        "funders": "STRUCT(id VARCHAR, display_name VARCHAR, ror VARCHAR)[]",
        "awards": (
            "STRUCT(id VARCHAR, display_name VARCHAR, funder_award_id VARCHAR, funder_id VARCHAR, "
            "funder_display_name VARCHAR)[]"
        ),
        "host_venue": _NAMED,
    },
    "institutions": {
        "id": "VARCHAR",
        "ror": "VARCHAR",
        "display_name": "VARCHAR",
        "country_code": "VARCHAR",
        "type": "VARCHAR",
        "lineage": "VARCHAR[]",
        "updated_date": "VARCHAR",
    },
    "funders": {
        "id": "VARCHAR",
        "display_name": "VARCHAR",
        "country_code": "VARCHAR",
        "alternate_titles": "VARCHAR[]",
        "ids": "STRUCT(openalex VARCHAR, ror VARCHAR, crossref VARCHAR, doi VARCHAR, wikidata VARCHAR)",
        "updated_date": "VARCHAR",
    },
}

# OpenAlex id prefix of each entity; a record whose id does not match is quarantined.
ID_PREFIX = {"works": "W", "institutions": "I", "funders": "F"}

# Columns the loader adds to every raw table. `_updated_date_derived`: the record had no `updated_date` (real
# 2025-11 snapshot lines) and took it from its `updated_date=` partition, as the snapshot's convention has it.
LINEAGE_COLUMNS = {"_file": "VARCHAR", "_partition": "VARCHAR", "_updated_date_derived": "BOOLEAN", "_loaded_at": "TIMESTAMP"}

# One thin row per work record read, in the universe or not: the latest version of a work must win even when it
# has left the universe (then the work leaves too), so every version's date is kept, never its record.
WORK_VERSIONS_COLUMNS = {
    "id": "VARCHAR", "updated_date": "VARCHAR", "in_universe": "BOOLEAN", **LINEAGE_COLUMNS,
}


def id_regex(entity: str) -> str:
    return rf"^(https://openalex\.org/)?{ID_PREFIX[entity]}[0-9]+$"


def columns_sql(entity: str) -> str:
    """The `columns={...}` argument of DuckDB's read_json for an entity."""
    inner = ", ".join(f"'{name}': '{typ}'" for name, typ in COLUMNS[entity].items())
    return "{" + inner + "}"


def table_columns(table: str) -> dict[str, str]:
    return WORK_VERSIONS_COLUMNS if table == "work_versions" else {**COLUMNS[table], **LINEAGE_COLUMNS}


def create_table_sql(table: str) -> str:
    body = ",\n  ".join(f'"{name}" {typ}' for name, typ in table_columns(table).items())
    return f"create table if not exists raw.{table} (\n  {body}\n)"


# A field typed VARCHAR that holds a JSON object or array: DuckDB would store the object as its JSON text, so the
# record is quarantined instead. The type strings above are parsed into trees to find every text position.
_TOKEN = re.compile(r"\s*(STRUCT\(|\w+|\)|,|\[\])")


def parse_type(text: str):
    """A DuckDB type string of this module as a tree: a type name ('VARCHAR'), ('list', tree) or
    ('struct', {field: tree})."""
    tokens = _TOKEN.findall(text)
    pos = 0

    def node():
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == "STRUCT(":
            fields = {}
            while True:
                name = tokens[pos]
                pos += 1
                fields[name] = node()
                token = tokens[pos]
                pos += 1
                if token == ")":
                    break
            tree = ("struct", fields)
        else:
            tree = token
        while pos < len(tokens) and tokens[pos] == "[]":
            pos += 1
            tree = ("list", tree)
        return tree

    tree = node()
    if pos != len(tokens):
        raise ValueError(f"unparsed type: {text}")
    return tree


def _text_misfits(value, tree, path: str) -> list[str]:
    if value is None:
        return []
    if tree == "VARCHAR":
        return [path] if isinstance(value, (dict, list)) else []
    if isinstance(tree, tuple) and tree[0] == "struct" and isinstance(value, dict):
        return [m for name, sub in tree[1].items() for m in _text_misfits(value.get(name), sub, f"{path}.{name}")]
    if isinstance(tree, tuple) and tree[0] == "list" and isinstance(value, list):
        return [m for i, item in enumerate(value) for m in _text_misfits(item, tree[1], f"{path}[{i}]")]
    return []  # any other shape DuckDB refuses itself: the typed read's error names it


def text_misfits(entity: str, record: dict) -> list[str]:
    """The paths (e.g. `authorships[0].institutions[1].display_name`) where the record holds a JSON object or array
    in place of text."""
    return [m for name, typ in COLUMNS[entity].items() for m in _text_misfits(record.get(name), parse_type(typ), name)]


def _suspect_text_sql(expr: str, tree, depth: int = 0) -> str | None:
    if tree == "VARCHAR":
        # DuckDB writes an object or array read as VARCHAR as its JSON text; a real text rarely is valid JSON
        # starting with { or [, and one that is only costs the line-by-line read, which tells them apart exactly.
        return f"(left({expr}, 1) in ('{{', '[') and json_valid({expr}))"
    if not isinstance(tree, tuple):
        return None
    kind, inner = tree
    if kind == "struct":
        parts = [p for name, sub in inner.items() if (p := _suspect_text_sql(f'{expr}."{name}"', sub, depth)) is not None]
        return "(" + " or ".join(parts) + ")" if parts else None
    var = f"_x{depth}"
    part = _suspect_text_sql(var, inner, depth + 1)
    return None if part is None else f"coalesce(list_bool_or(list_transform({expr}, {var} -> {part})), false)"


def suspect_text_sql(entity: str, columns: tuple[str, ...] | None = None) -> str:
    """A condition on the typed columns of an entity (or of `columns` only): some text field may have held a JSON
    object or array."""
    parts = [p for name, typ in COLUMNS[entity].items() if columns is None or name in columns
             if (p := _suspect_text_sql(f'"{name}"', parse_type(typ))) is not None]
    return "coalesce(" + " or ".join(parts) + ", false)" if parts else "false"


def schema_era_sql() -> str:
    """The OpenAlex schema era of a work record as a SQL expression over raw.works' columns: stated once, in dbt's
    schema_era macro, which the staging models use."""
    return render_macro("schema_era.sql", "schema_era")


def work_fields_present(record: dict) -> frozenset[str]:
    """The fields of the raw works table that a work record carries (not null): all the era rule can read."""
    return frozenset(name for name in COLUMNS["works"] if record.get(name) is not None)


def schema_eras(patterns: Counter[frozenset[str]]) -> dict[str, int]:
    """Records per schema era, from how many records carry each set of fields (work_fields_present), by the same
    SQL as the models."""
    if not patterns:
        return {}
    names = list(COLUMNS["works"])
    with duckdb.connect() as con:
        # One row per set: a field present holds a marker, an absent one NULL; the rule only asks which.
        columns = ", ".join(f'"{name}" varchar' for name in names)
        con.execute(f"create table works ({columns}, _records bigint)")
        con.executemany(f"insert into works values ({', '.join('?' * (len(names) + 1))})",
                        [[("present" if name in present else None) for name in names] + [n] for present, n in patterns.items()])
        rows = con.execute(f"select {schema_era_sql()} as era, sum(_records)::bigint from works group by 1 order by 1").fetchall()
    return dict(rows)
