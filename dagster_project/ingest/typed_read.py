"""The typed read of raw files into the raw tables, the study's universe decided in it.

Works are read text first (`_parse_text_first`): each line is read as text and parsed once as JSON for its thin
row; only the few lines whose text could be in the universe are typed into the raw schema, where the exact rule
decides. Institutions and funders, and works when no universe is set, go through DuckDB's typed read_json.
File paths reach DuckDB as parameters, never as SQL text. Besides rows, the read reports per file the records it
cannot vouch for, which send the file to the line-by-line path (`quarantine.py`): an id that is not an OpenAlex
id, a text field that held a JSON object or array (DuckDB would store its JSON text), and a record kept whole
that exceeds the line size limit. A line longer than DuckDB's own bound (16 MiB) fails the read; a work outside
the universe is not measured here (its record is not kept), and the line-by-line path, and the loader's own count
of a file without a manifest, measure every line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .raw_schema import COLUMNS, columns_sql, id_regex, suspect_text_sql
from .snapshot import RawFile
from .universe import Universe

# DuckDB's own bound on a JSON object it reads: a longer line fails the read, and the line-by-line path measures it.
TEXT_LINE_LIMIT = 16 * 2**20
# The text-first read pays when few lines are candidates (a real snapshot: a few in a hundred). When most are (the
# demo, or an extract of AI works), typing them after reading them as text costs more than the typed read of
# everything: the first lines of the files decide which read runs. Both keep exactly the same rows.
SAMPLE_LINES = 2_000
TEXT_FIRST_BELOW = 0.2


def read_json_sql(entity: str, max_line_bytes: int, filename: bool = False) -> str:
    """`read_json($files, …)` of an entity's typed columns; the files are the `$files` parameter."""
    return (
        f"read_json($files, format='newline_delimited', columns={columns_sql(entity)}, "
        f"maximum_object_size={int(max_line_bytes)}, hive_partitioning=false{', filename=true' if filename else ''})"
    )


def _keep_sql(entity: str, universe: Universe | None) -> str:
    return universe.where_sql() if entity == "works" and universe else "true"


def _record_type(entity: str) -> str:
    return "STRUCT(" + ", ".join(f'"{name}" {typ}' for name, typ in COLUMNS[entity].items()) + ")"


def line_fields_sql(line: str) -> str:
    """One JSON parse of a line: the JSON text of its id, updated_date and the fields the universe is decided on,
    as a list (`x[1]`, `x[2]`, then `Universe.DECIDING_FIELDS`). A line that is not JSON fails the read."""
    paths = ", ".join(f"'$.{f}'" for f in ("id", "updated_date", *Universe.DECIDING_FIELDS))
    return f"json_extract({line}, [{paths}])"


def could_be_in_universe_sql(universe: Universe, fields: str) -> str:
    """`Universe.could_be_sql` on the list `line_fields_sql` makes."""
    return universe.could_be_sql(*(f"{fields}[{i}]" for i in range(3, 3 + len(Universe.DECIDING_FIELDS))))


def _read_text_sql(line_limit: int) -> str:
    # One VARCHAR column, no quoting: the line as it is. A JSON line holds no raw control character, so the record
    # separator never splits a valid one; strict mode refuses a line it would split (and a stray carriage return).
    return (f"""(select filename, line
                 from read_csv($files, columns={{'line': 'VARCHAR'}}, delim=e'\\x1e', quote='', escape='', header=false,
                               auto_detect=false, strict_mode=true, filename=true, hive_partitioning=false,
                               max_line_size={line_limit}, buffer_size={line_limit})
                 where line is not null and not regexp_full_match(line, '[ \\t\\r]*'))""")


def _candidate_share(con, sources: dict[str, RawFile], universe: Universe, line_limit: int) -> float:
    """The share of candidates among the first lines of the files."""
    share = con.execute(
        f"""select avg(case when {could_be_in_universe_sql(universe, "x")} then 1 else 0 end)
            from (select {line_fields_sql("line")} as x from {_read_text_sql(line_limit)} limit {SAMPLE_LINES})""",
        {"files": list(sources)},
    ).fetchone()[0]
    return float(share or 0)


def _parse_text_first(con, sources: dict[str, RawFile], universe: Universe, max_line_bytes: int, tmp: Path) -> str:
    """The works of the source files read as text lines, in one pass. Every line is parsed once as JSON, for its
    thin row (id, updated_date) and the fields the universe is decided on; only the lines that could be in the
    universe (`Universe.could_be_sql`) are typed, by DuckDB's read_json of a temporary file that holds them.
    Returns the relation (the typed read's columns, `filename`, and `_bytes`, a kept line's size) for
    `insert_files`. Raises duckdb.Error as the typed read does for a line that is not JSON or cannot be typed."""
    line_limit = max(TEXT_LINE_LIMIT, int(max_line_bytes))
    con.execute(
        f"""create or replace temp table _lines as
            select filename as _source, x[1] ->> '$' as id, x[2] ->> '$' as updated_date,
                   case when {could_be_in_universe_sql(universe, "x")} then line end as _candidate
            from (select filename, line, {line_fields_sql("line")} as x from {_read_text_sql(line_limit)})""",
        {"files": list(sources)},
    )
    candidates = tmp / "candidates.jsonl"
    # Each candidate's text goes into the file untouched, wrapped with its source file and size.
    con.execute(
        """copy (select '{"_source":' || to_json(_source) || ',"_bytes":' || strlen(_candidate) || ',"_record":'
                        || _candidate || '}'
                 from _lines where _candidate is not null)
           to $path (format csv, header false, quote '', escape '', delimiter e'\\x1e')""",
        {"path": str(candidates)},
    )
    con.execute(
        f"""create or replace temp table _candidates as
            select _source as filename, _bytes, unnest(_record)
            from read_json($candidates, format='newline_delimited', hive_partitioning=false,
                           columns={{'_source': 'VARCHAR', '_bytes': 'BIGINT', '_record': '{_record_type("works")}'}},
                           maximum_object_size={line_limit + 4096})""",
        {"candidates": [str(candidates)]},
    )
    return """(select * from _candidates
              union all by name
              select _source as filename, id, updated_date from _lines where _candidate is null)"""


def choose_read(con, sources: dict[str, RawFile], universe: Universe, max_line_bytes: int) -> str:
    """"text_first" when few of the files' first lines are candidates, else "typed"."""
    share = _candidate_share(con, sources, universe, max(TEXT_LINE_LIMIT, int(max_line_bytes)))
    return "text_first" if share < TEXT_FIRST_BELOW else "typed"


def insert_files(con, entity: str, sources: dict[str, RawFile], universe: Universe | None,
                 max_line_bytes: int, read: str = "auto") -> dict[str, tuple[int, int, int]]:
    """Insert the records of the source files (read together: DuckDB reads them in parallel), each row stamped
    with the raw file the source stands for (itself, or the raw file whose good lines it holds). Works outside
    the universe leave only their thin version row. Returns per raw file: (rows read, rows kept, suspect rows)."""
    fields = [c for c in COLUMNS[entity] if c != "updated_date"]
    keep = _keep_sql(entity, universe)
    if entity == "works" and universe is not None and read == "auto":
        read = choose_read(con, sources, universe, max_line_bytes)
    text_first = entity == "works" and universe is not None and read == "text_first"
    with tempfile.TemporaryDirectory(prefix="raw-load-") as tmp:
        if text_first:
            source, size = _parse_text_first(con, sources, universe, max_line_bytes, Path(tmp)), "parsed._bytes"
            params = {}
        else:
            everything = ", ".join(f'"{c}" := parsed."{c}"' for c in COLUMNS[entity])
            source = f"(select * from {read_json_sql(entity, max_line_bytes, filename=True)})"
            params = {"files": list(sources)}  # the typed read's own files parameter
            size = f"strlen(to_json(struct_pack({everything})))"
        return _insert_parsed(con, entity, sources, source, params, size, keep, fields, max_line_bytes)


def _insert_parsed(con, entity: str, sources: dict[str, RawFile], source: str, params: dict, size: str, keep: str,
                   fields: list[str], max_line_bytes: int) -> dict[str, tuple[int, int, int]]:
    # A work outside the universe keeps only its id for the thin version row: NULL costs nothing to store.
    kept_fields = ", ".join(
        f"case when _in_universe then parsed.{c} end as {c}" if keep != "true" and c != "id" else f"parsed.{c}" for c in fields
    )
    # Judged only where the warehouse keeps the field: every field of a record kept whole, the date of the rest
    # (the id has its own pattern). The text check on every field of every record would cost a quarter more.
    suspect = (
        f"""case when _in_universe
                 then {suspect_text_sql(entity)} or {size} > $max_bytes
                 else {suspect_text_sql(entity, ("updated_date",))} or strlen(parsed.updated_date) > $max_bytes end"""
    )
    # No hive partitioning: an `updated_date=…` folder would overwrite each record's own updated_date.
    con.execute(
        f"""create or replace temp table _parsed as
            with parsed as (
                select *, coalesce({keep}, false) as _in_universe
                from {source}
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
            "sources": list(sources), "files_of": [str(raw.path) for raw in sources.values()],
            "parts": [raw.partition for raw in sources.values()], "max_bytes": int(max_line_bytes),
            **params,
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
        for table in ("_parsed", "_lines", "_candidates"):
            con.execute(f"drop table if exists {table}")
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
    columns = f"{{'_line': 'BIGINT', '_record': '{_record_type(entity)}'}}"
    rows = con.execute(
        f"""select _line from (
                select _line, unnest(_record)
                from read_json($files, format='newline_delimited', columns={columns},
                               maximum_object_size={int(max_line_bytes) * 2}))
            where coalesce({keep}, false)""",
        {"files": [str(path)]},
    ).fetchall()
    return {int(r[0]) for r in rows}
