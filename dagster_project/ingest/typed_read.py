"""The typed read: DuckDB's read_json of raw files straight into the raw tables, the study's universe decided in it.

File paths reach DuckDB as parameters, never as SQL text. Besides rows, the read reports per file the records it
cannot vouch for, which send the file to the line-by-line path (`quarantine.py`): an id that is not an OpenAlex
id, a text field that held a JSON object or array (DuckDB would store its JSON text), and a record whose kept
fields exceed the line size limit. DuckDB's reader sees no line lengths and refuses only lines beyond its own
bound (`maximum_object_size`, at least 16 MiB), so a record whose size is in fields the warehouse does not keep
passes here; the line-by-line path, and the loader's own count of a file without a manifest, measure every line.
"""

from __future__ import annotations

from pathlib import Path

from .raw_schema import COLUMNS, columns_sql, id_regex, suspect_text_sql
from .snapshot import RawFile
from .universe import Universe


def read_json_sql(entity: str, max_line_bytes: int, filename: bool = False) -> str:
    """`read_json($files, …)` of an entity's typed columns; the files are the `$files` parameter."""
    return (
        f"read_json($files, format='newline_delimited', columns={columns_sql(entity)}, "
        f"maximum_object_size={int(max_line_bytes)}, hive_partitioning=false{', filename=true' if filename else ''})"
    )


def _keep_sql(entity: str, universe: Universe | None) -> str:
    return universe.where_sql() if entity == "works" and universe else "true"


def insert_files(con, entity: str, sources: dict[str, RawFile], universe: Universe | None,
                 max_line_bytes: int) -> dict[str, tuple[int, int, int]]:
    """Insert the records of the source files (read together: DuckDB reads them in parallel), each row stamped
    with the raw file the source stands for (itself, or the raw file whose good lines it holds). Works outside
    the universe leave only their thin version row. Returns per raw file: (rows read, rows kept, suspect rows)."""
    fields = [c for c in COLUMNS[entity] if c != "updated_date"]
    keep = _keep_sql(entity, universe)
    # A work outside the universe keeps only its id for the thin version row: NULL costs nothing to store.
    kept_fields = ", ".join(
        f"case when _in_universe then parsed.{c} end as {c}" if keep != "true" and c != "id" else f"parsed.{c}" for c in fields
    )
    everything = ", ".join(f'"{c}" := parsed."{c}"' for c in COLUMNS[entity])
    # Judged only where the warehouse keeps the field: every field of a record kept whole, the date of the rest
    # (the id has its own pattern). The text check on every field of every record would cost a quarter more.
    suspect = (
        f"""case when _in_universe
                 then {suspect_text_sql(entity)} or strlen(to_json(struct_pack({everything}))) > $max_bytes
                 else {suspect_text_sql(entity, ("updated_date",))} or strlen(parsed.updated_date) > $max_bytes end"""
    )
    # No hive partitioning: an `updated_date=…` folder would overwrite each record's own updated_date.
    con.execute(
        f"""create or replace temp table _parsed as
            with parsed as (
                select *, coalesce({keep}, false) as _in_universe
                from {read_json_sql(entity, max_line_bytes, filename=True)}
            ),
            lineage as (
                select unnest($sources::varchar[]) as source, unnest($files_of::varchar[]) as file,
                       unnest($parts::varchar[]) as part
            )
            select {kept_fields},
                   coalesce(parsed.updated_date, lineage.part) as updated_date,
                   lineage.file as _file, lineage.part as _partition,
                   parsed.updated_date is null and lineage.part is not null as _updated_date_derived,
                   current_timestamp::timestamp as _loaded_at, _in_universe, {suspect} as _suspect
            from parsed
            inner join lineage on parsed.filename = lineage.source""",
        {
            "files": list(sources), "sources": list(sources), "files_of": [str(raw.path) for raw in sources.values()],
            "parts": [raw.partition for raw in sources.values()], "max_bytes": int(max_line_bytes),
        },
    )
    try:
        if entity == "works":
            con.execute(
                """insert into raw.work_versions by name
                   select id, updated_date, _in_universe as in_universe, _file, _partition, _updated_date_derived, _loaded_at
                   from _parsed"""
            )
        con.execute(f"insert into raw.{entity} by name select * exclude (_in_universe, _suspect) from _parsed where _in_universe")
        counts = con.execute(
            """select _file, count(*), count(*) filter (where _in_universe),
                      count(*) filter (where _suspect or id is null or not regexp_full_match(id, $id_regex))
               from _parsed group by _file""",
            {"id_regex": id_regex(entity)},
        ).fetchall()
    finally:
        con.execute("drop table if exists _parsed")
    return {file: (int(read), int(kept), int(bad)) for file, read, kept, bad in counts}


def in_universe(con, entity: str, lines: list[tuple[int, str]], universe: Universe | None, tmp: Path,
                max_line_bytes: int) -> set[int]:
    """The line numbers among `lines` (each a record that fits the typed schema) whose record the universe keeps
    whole. Each line is wrapped with its number, so the answer does not rest on the order DuckDB returns rows in."""
    keep = _keep_sql(entity, universe)
    if keep == "true":
        return {n for n, _ in lines}
    path = tmp / "universe_probe.jsonl"
    path.write_text("".join(f'{{"_line": {n}, "_record": {text}}}\n' for n, text in lines), encoding="utf-8")
    columns = "{'_line': 'BIGINT', '_record': 'STRUCT(" + ", ".join(
        f'"{name}" {typ}' for name, typ in COLUMNS[entity].items()) + ")'}"
    rows = con.execute(
        f"""select _line from (
                select _line, unnest(_record)
                from read_json($files, format='newline_delimited', columns={columns},
                               maximum_object_size={int(max_line_bytes) * 2}))
            where coalesce({keep}, false)""",
        {"files": [str(path)]},
    ).fetchall()
    return {int(r[0]) for r in rows}
