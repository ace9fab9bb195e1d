"""Load raw OpenAlex JSON-lines files into the `raw` schema of the build database.

The fast path is one typed `read_json` over every new or changed file of an entity (DuckDB streams them,
in parallel). For works, the same read decides which records are in the study's universe (`universe.py`):
those are kept whole in `raw.works`; every record, kept or not, leaves a thin row in `raw.work_versions` so
that the latest version of a work still wins after it left the universe. A record without `updated_date`
takes its partition's date (flagged in `_updated_date_derived`).
If any file fails the read, or holds a record without a valid id, nothing of it is kept and each file
is read on its own instead; only a file that fails that too is read line by line in Python to find the bad
lines. Those go to the quarantine (table `raw.quarantine` and a JSON-lines file) with file, line and reason,
and the rest loads.
Every file is logged in `raw.load_log` with its size, modification time and sha256, so an unchanged file is not
loaded twice and `records = loaded + outside_universe + quarantined` can be checked per file. A file whose size and
modification time are as logged is taken as unchanged without being read (as rsync and make do: hashing every
file of a full snapshot on every run would read hundreds of GB); one whose time moved is hashed, and reloaded only
if its content changed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .raw_schema import COLUMNS, columns_sql, create_table_sql, id_regex, table_columns
from .snapshot import RawFile
from .universe import Universe


@dataclass
class FileResult:
    file: str
    partition: str | None
    records: int
    loaded: int
    outside_universe: int
    quarantined: int
    expected_records: int | None
    skipped: bool = False


@dataclass
class LoadResult:
    entity: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def outside_universe(self) -> int:
        return sum(f.outside_universe for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    for table in (*COLUMNS, "work_versions"):
        con.execute(create_table_sql(table))
        # A raw layer loaded by an earlier version of the loader gains the columns it lacks (NULL for old rows).
        have = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?", [table]
        ).fetchall()}
        for name, typ in table_columns(table).items():
            if name not in have:
                con.execute(f'alter table raw.{table} add column "{name}" {typ}')
    con.execute(
        """create table if not exists raw.quarantine (
            entity varchar, file varchar, line integer, record_id varchar, reason varchar,
            record_text varchar, quarantined_at timestamp default current_timestamp)"""
    )
    con.execute(
        """create table if not exists raw.load_log (
            entity varchar, file varchar, partition varchar, size_bytes bigint, sha256 varchar,
            expected_records bigint, records bigint, loaded bigint, quarantined bigint,
            loaded_at timestamp default current_timestamp, outside_universe bigint default 0)"""
    )
    con.execute("alter table raw.load_log add column if not exists outside_universe bigint default 0")
    con.execute("alter table raw.load_log add column if not exists mtime_ns bigint")
    con.execute("create table if not exists raw.universe (parameters varchar, description varchar, recorded_at timestamp)")
    con.execute(
        """create table if not exists raw.work_counts (
            scope varchar, publication_year integer, works_count bigint, query varchar,
            fetched_at timestamp)"""
    )
    con.execute(
        """create table if not exists raw.dataset (
            source varchar, dataset_label varchar, is_synthetic boolean, source_detail varchar,
            loaded_at timestamp)"""
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _insert_files(con, entity: str, sources: dict[str, RawFile], universe: Universe | None = None) -> dict[str, tuple[int, int, int]]:
    """Insert the records of the source files (read together: DuckDB reads them in parallel), each row stamped
    with the raw file the source stands for (itself, or the raw file whose good lines it holds). Works outside
    the universe leave only their thin version row. Returns per raw file: (rows read, rows kept, bad ids)."""
    lineage = ", ".join(
        f"({_sql_str(source)}, {_sql_str(str(raw.path))}, {_sql_str(raw.partition) if raw.partition else 'null'})"
        for source, raw in sources.items()
    )
    fields = [c for c in COLUMNS[entity] if c != "updated_date"]
    keep = universe.where_sql() if entity == "works" and universe else "true"
    # A work outside the universe keeps only its id for the thin version row: NULL costs nothing to store.
    kept_fields = ", ".join(
        f"case when _in_universe then parsed.{c} end as {c}" if keep != "true" and c != "id" else f"parsed.{c}" for c in fields
    )
    # No hive partitioning: an `updated_date=…` folder would overwrite each record's own updated_date.
    con.execute(
        f"""create or replace temp table _parsed as
            with parsed as (
                select *, coalesce({keep}, false) as _in_universe
                from read_json([{", ".join(_sql_str(source) for source in sources)}], format='newline_delimited',
                               columns={columns_sql(entity)}, maximum_object_size=67108864,
                               hive_partitioning=false, filename=true)
            ),
            lineage(source, file, part) as (values {lineage})
            select {kept_fields},
                   coalesce(parsed.updated_date, lineage.part) as updated_date,
                   lineage.file as _file, lineage.part as _partition,
                   parsed.updated_date is null and lineage.part is not null as _updated_date_derived,
                   current_timestamp::timestamp as _loaded_at, _in_universe
            from parsed
            inner join lineage on parsed.filename = lineage.source"""
    )
    try:
        if entity == "works":
            con.execute(
                """insert into raw.work_versions by name
                   select id, updated_date, _in_universe as in_universe, _file, _partition, _updated_date_derived, _loaded_at
                   from _parsed"""
            )
        con.execute(f"insert into raw.{entity} by name select * exclude (_in_universe) from _parsed where _in_universe")
        counts = con.execute(
            """select _file, count(*), count(*) filter (where _in_universe),
                      count(*) filter (where id is null or not regexp_full_match(id, ?))
               from _parsed group by _file""",
            [id_regex(entity)],
        ).fetchall()
    finally:
        con.execute("drop table if exists _parsed")
    return {file: (int(read), int(kept), int(bad)) for file, read, kept, bad in counts}


def _count_lines(path: Path) -> int:
    with _open_text(path) as fh:
        return sum(1 for line in fh if line.strip())


class Quarantine:
    """Collects rejected lines; written to the table and to a JSON-lines file for people to read."""

    def __init__(self, con, path: Path | None):
        self.con, self.path = con, path

    def add(self, entity: str, raw: RawFile, items: list[tuple[int, str | None, str, str]]) -> None:
        if not items:
            return
        self.con.executemany(
            "insert into raw.quarantine (entity, file, line, record_id, reason, record_text) values (?, ?, ?, ?, ?, ?)",
            [(entity, str(raw.path), line, rid, reason, text[:2000]) for line, rid, reason, text in items],
        )
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                for line, rid, reason, text in items:
                    out.write(json.dumps({"entity": entity, "file": str(raw.path), "line": line,
                                          "record_id": rid, "reason": reason, "record": text[:2000]}) + "\n")


def _fits(con, entity: str, lines: list[tuple[int, str]], tmp: Path) -> str | None:
    """None if the lines parse into the typed schema, else DuckDB's error."""
    path = tmp / "probe.jsonl"
    path.write_text("".join(t + "\n" for _, t in lines), encoding="utf-8")
    try:
        con.execute(
            f"create or replace temp table _probe as select * from read_json({_sql_str(str(path))}, "
            f"format='newline_delimited', columns={columns_sql(entity)}, maximum_object_size=67108864)"
        )
        return None
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    finally:
        con.execute("drop table if exists _probe")


def _misfits(con, entity: str, lines: list[tuple[int, str]], tmp: Path) -> list[tuple[int, str]]:
    """The lines that do not fit the typed schema, found by bisection: (line number, error)."""
    if not lines:
        return []
    error = _fits(con, entity, lines, tmp)
    if error is None:
        return []
    if len(lines) == 1:
        return [(lines[0][0], re.sub(r' in file "[^"]*", in line \d+', "", error))]
    mid = len(lines) // 2
    return _misfits(con, entity, lines[:mid], tmp) + _misfits(con, entity, lines[mid:], tmp)


def _load_line_by_line(con, entity: str, raw: RawFile, quarantine: Quarantine, universe: Universe | None) -> tuple[int, int, int, int]:
    """The slow path for a file with bad lines. Returns (records, loaded, outside the universe, quarantined)."""
    pattern = re.compile(id_regex(entity))
    good: list[tuple[int, str]] = []
    bad: list[tuple[int, str | None, str, str]] = []
    records = 0
    with _open_text(raw.path) as fh:
        for line_no, text in enumerate(fh, start=1):
            text = text.strip()
            if not text:
                continue
            records += 1
            try:
                rec = json.loads(text)
            except json.JSONDecodeError as exc:
                bad.append((line_no, None, f"malformed JSON: {exc.msg} at column {exc.colno}", text))
                continue
            if not isinstance(rec, dict):
                bad.append((line_no, None, f"record is a JSON {type(rec).__name__}, not an object", text))
                continue
            rid = rec.get("id")
            if not isinstance(rid, str) or not pattern.match(rid):
                bad.append((line_no, str(rid) if rid is not None else None, f"missing or malformed {entity} id", text))
                continue
            good.append((line_no, text))
    # Lines that are valid JSON but do not fit the typed schema. DuckDB's error names a line number that is
    # not reliable across its read batches, so the misfits are found by bisection instead.
    with tempfile.TemporaryDirectory() as tmp:
        misfits = _misfits(con, entity, good, Path(tmp))
        skip = {line_no for line_no, _ in misfits}
        kept = [(n, t) for n, t in good if n not in skip]
        by_line = dict(good)
        for line_no, error in misfits:
            text = by_line[line_no]
            bad.append((line_no, json.loads(text).get("id"), "does not fit the raw schema: " + error, text))
        tmp_path = Path(tmp) / "lines.jsonl"
        tmp_path.write_text("".join(t + "\n" for _, t in kept), encoding="utf-8")
        read, loaded, _ = _insert_files(con, entity, {str(tmp_path): raw}, universe).get(str(raw.path), (0, 0, 0)) if kept else (0, 0, 0)
    quarantine.add(entity, raw, sorted(bad))
    return records, loaded, read - loaded, len(bad)


def _insert_together(con, entity: str, pending: list[RawFile], universe: Universe | None) -> dict[str, tuple[int, int]] | None:
    """The pending files in one transaction. Returns (rows read, rows kept) per file, or None (nothing kept) if
    any file fails to parse or holds a record without a valid id: the per-file path then finds the bad lines."""
    con.execute("begin")
    try:
        counts = _insert_files(con, entity, {str(raw.path): raw for raw in pending}, universe)
    except duckdb.Error:
        con.execute("rollback")
        return None
    if any(bad for _, _, bad in counts.values()):
        con.execute("rollback")
        return None
    con.execute("commit")
    return {str(raw.path): counts.get(str(raw.path), (0, 0, 0))[:2] for raw in pending}


def _insert_one(con, entity: str, raw: RawFile, quarantine: Quarantine, universe: Universe | None) -> tuple[int, int, int, int]:
    """One file: the typed read if every record fits, else line by line.
    Returns (records, loaded, outside the universe, quarantined)."""
    counts = _insert_together(con, entity, [raw], universe)
    if counts is not None:
        read, loaded = counts[str(raw.path)]
        return _records(raw), loaded, read - loaded, 0
    return _load_line_by_line(con, entity, raw, quarantine, universe)


def _records(raw: RawFile) -> int:
    return raw.expected_records if raw.expected_records is not None else _count_lines(raw.path)


def _forget(con, entity: str, path: str) -> None:
    """Drop everything loaded from one raw file."""
    con.execute(f"delete from raw.{entity} where _file = ?", [path])
    if entity == "works":
        con.execute("delete from raw.work_versions where _file = ?", [path])
    con.execute("delete from raw.quarantine where entity = ? and file = ?", [entity, path])
    con.execute("delete from raw.load_log where entity = ? and file = ?", [entity, path])


def load_files(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    files: list[RawFile],
    quarantine_path: Path | None = None,
    incremental: bool = True,
    universe: Universe | None = None,
) -> LoadResult:
    """Load the new or changed files of an entity. `universe` (works only): the works kept whole; None keeps all."""
    ensure_raw_schema(con)
    result = LoadResult(entity)
    quarantine = Quarantine(con, quarantine_path)
    pending: list[tuple[RawFile, int, int, str]] = []
    for raw in files:
        stat = raw.path.stat()
        size, mtime_ns, digest = stat.st_size, stat.st_mtime_ns, None
        if incremental:
            prev = con.execute(
                """select records, loaded, coalesce(outside_universe, 0), quarantined, mtime_ns, sha256 from raw.load_log
                   where entity = ? and file = ? and size_bytes = ?""",
                [entity, str(raw.path), size],
            ).fetchone()
            unchanged = prev is not None and prev[4] == mtime_ns
            if prev is not None and not unchanged:
                digest = sha256_of(raw.path)
                unchanged = prev[5] == digest
                if unchanged:  # touched, not changed: its time is recorded, so the next run reads nothing
                    con.execute("update raw.load_log set mtime_ns = ? where entity = ? and file = ?",
                                [mtime_ns, entity, str(raw.path)])
            if unchanged:
                result.files.append(FileResult(str(raw.path), raw.partition, *prev[:4], raw.expected_records, skipped=True))
                continue
        _forget(con, entity, str(raw.path))
        pending.append((raw, size, mtime_ns, digest or sha256_of(raw.path)))
    together = _insert_together(con, entity, [raw for raw, *_ in pending], universe) if pending else {}
    for raw, size, mtime_ns, digest in pending:
        if together is not None:
            read, loaded = together[str(raw.path)]
            records, outside, quarantined = _records(raw), read - loaded, 0
        else:
            records, loaded, outside, quarantined = _insert_one(con, entity, raw, quarantine, universe)
        con.execute(
            """insert into raw.load_log (entity, file, partition, size_bytes, mtime_ns, sha256, expected_records, records,
                                         loaded, outside_universe, quarantined) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [entity, str(raw.path), raw.partition, size, mtime_ns, digest, raw.expected_records, records, loaded, outside,
             quarantined],
        )
        result.files.append(FileResult(str(raw.path), raw.partition, records, loaded, outside, quarantined, raw.expected_records))
    return result


def prune_files(con: duckdb.DuckDBPyConnection, entity: str, keep: list[RawFile]) -> int:
    """Drop what was loaded from files no longer in the source, so the raw tables mirror it exactly."""
    ensure_raw_schema(con)
    keep_paths = {str(f.path) for f in keep}
    stale = [
        row[0]
        for row in con.execute("select distinct file from raw.load_log where entity = ?", [entity]).fetchall()
        if row[0] not in keep_paths
    ]
    for path in stale:
        _forget(con, entity, path)
    return len(stale)
