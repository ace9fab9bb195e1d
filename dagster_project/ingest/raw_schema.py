"""The raw layer's typed shape: only the fields the study needs, read once with explicit types.

Explicit columns keep DuckDB from auto-detecting nested records (3x slower at scale) and make every
OpenAlex schema era load into one table: a field an era lacks is NULL, an unknown field is ignored.
Fields whose shape changed between eras (keywords) are kept as JSON.
"""

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
        "authorships": (
            "STRUCT(author_position VARCHAR, author STRUCT(id VARCHAR, display_name VARCHAR), "
            f"institutions {_INSTITUTION}[], countries VARCHAR[])[]"
        ),
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
