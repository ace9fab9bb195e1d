"""Load raw OpenAlex JSON-lines files into the `raw` schema of the build database.

The fast path is one read over every new or changed file of an entity (`typed_read.py`; DuckDB streams them, in
parallel). Works are read as text first: every line is parsed once for its thin row in `raw.work_versions` (so that
the latest version of a work still wins after it left the universe), and only the lines whose text could be in the
study's universe (`universe.py`) are typed, where the exact rule decides which are kept whole in `raw.works`. A record without
`updated_date` takes its partition's date (flagged in `_updated_date_derived`).
Before it, a `.gz` file must start as gzip does, and a file without a manifest count is read once to count its
records (which measures its lines and proves it complete): a file that cannot be read is quarantined whole.
If any file fails the typed read, or holds a record it cannot vouch for (an invalid id, an object where text is
expected, an over-long record), nothing of it is kept and each file is read on its own instead; only a file that
fails that too is read line by line (`quarantine.py`) to find the bad lines. Those go to the quarantine (table
`raw.quarantine` and a JSON-lines file) with file, line and reason, and the rest loads.
Every file is logged in `raw.load_log` with its size, modification time and sha256, so an unchanged file is not
loaded twice and `records = loaded + outside_universe + quarantined` can be checked per file. A file whose size and
modification time are as logged is taken as unchanged without being read (as rsync and make do: hashing every
file of a full snapshot on every run would read hundreds of GB); one whose time moved is hashed, and reloaded only
if its content changed.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..lib.pipeline_state import FINGERPRINTS, ensure_schema
from ..settings import Settings
from .quarantine import (
    Outcome,
    Quarantine,
    Unreadable,
    check_gzip_header,
    count_records,
    load_line_by_line,
    quarantine_whole,
)
from .raw_schema import COLUMNS, columns_sql, create_table_sql, table_columns
from .snapshot import RawFile
from .typed_read import insert_files
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
    quarantined_bytes: int = 0  # the file's size when it is quarantined whole
    size_bytes: int = 0
    reason: str | None = None  # why the file is quarantined whole (this run's files only)


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

    @property
    def unreadable(self) -> list[FileResult]:
        """The files of this run quarantined whole."""
        return [f for f in self.files if f.reason]


def _reload_if_shape_changed(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """A raw table typed by another shape (a field added to a nested record) cannot take the new rows: it is dropped
    with its files' load log, so that every file of the entity is read again in this run."""
    shape = hashlib.sha256(columns_sql(entity).encode()).hexdigest()[:16]
    kind = f"raw_shape_{entity}"
    recorded = con.execute(f"select arg_max(fingerprint, recorded_at) from {FINGERPRINTS} where kind = ?", [kind]).fetchone()[0]
    if recorded == shape:
        return
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = ?", [entity]).fetchone()[0]
    # Unrecorded: a raw layer loaded before shapes were recorded, of unknown shape unless it is empty.
    if exists and (recorded is not None or con.execute(f"select count(*) from raw.{entity}").fetchone()[0]):
        con.execute(f"drop table raw.{entity}")
        if con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'load_log'").fetchone()[0]:
            con.execute("delete from raw.load_log where entity = ?", [entity])
    con.execute(f"insert into {FINGERPRINTS} values (?, ?, current_timestamp)", [kind, shape])


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    ensure_schema(con)
    for table in COLUMNS:
        _reload_if_shape_changed(con, table)
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
    con.execute("alter table raw.load_log add column if not exists quarantined_bytes bigint default 0")
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


def _insert_together(con, entity: str, pending: list[RawFile], universe: Universe | None,
                     max_line_bytes: int, read: str = "auto") -> dict[str, tuple[int, int]] | None:
    """The pending files in one transaction. Returns (rows read, rows kept) per file, or None (nothing kept) if
    any file fails to parse or holds a record the typed read cannot vouch for: the per-file path then finds the
    bad lines."""
    con.execute("begin")
    try:
        counts = insert_files(con, entity, {str(raw.path): raw for raw in pending}, universe, max_line_bytes, read)
    except duckdb.Error:
        con.execute("rollback")
        return None
    if any(bad for _, _, bad in counts.values()):
        con.execute("rollback")
        return None
    con.execute("commit")
    return {str(raw.path): counts.get(str(raw.path), (0, 0, 0))[:2] for raw in pending}


def _insert_one(con, entity: str, raw: RawFile, records: int, quarantine: Quarantine, universe: Universe | None,
                max_line_bytes: int, read: str = "auto") -> Outcome:
    """One file: the typed read if every record fits, else line by line."""
    counts = _insert_together(con, entity, [raw], universe, max_line_bytes, read)
    if counts is not None:
        read, loaded = counts[str(raw.path)]
        return Outcome(records, loaded, read - loaded)
    return load_line_by_line(con, entity, raw, quarantine, universe, max_line_bytes)


def _precheck(con, entity: str, raw: RawFile, quarantine: Quarantine, max_line_bytes: int) -> tuple[int | None, bool, Outcome | None]:
    """Before the typed read: (records, whether a line is over the limit, the outcome if the file cannot be read).
    A `.gz` file must start as gzip does. Without a manifest count the file is read here to count its records,
    which also measures every line and proves the gzip stream complete."""
    try:
        check_gzip_header(raw)
        if raw.expected_records is not None:
            return raw.expected_records, False, None
        records, longest = count_records(raw, max_line_bytes)
        return records, longest > max_line_bytes, None
    except Unreadable as problem:
        return None, False, quarantine_whole(entity, raw, problem, quarantine)


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
    max_line_bytes: int = Settings.raw_max_line_bytes,
    read: str = "auto",
) -> LoadResult:
    """Load the new or changed files of an entity. `universe` (works only): the works kept whole; None keeps all.
    `max_line_bytes`: a longer line is quarantined (RAW_MAX_LINE_BYTES). `read` (works with a universe): "text_first",
    "typed", or "auto", which picks by the share of candidates among the files' first lines (`typed_read.py`)."""
    ensure_raw_schema(con)
    quarantine = Quarantine(con)
    results: dict[str, FileResult] = {}
    pending: list[tuple[RawFile, int, int, str]] = []
    for raw in files:
        stat = raw.path.stat()
        size, mtime_ns, digest = stat.st_size, stat.st_mtime_ns, None
        if incremental:
            prev = con.execute(
                """select records, loaded, coalesce(outside_universe, 0), quarantined, mtime_ns, sha256,
                          coalesce(quarantined_bytes, 0)
                   from raw.load_log where entity = ? and file = ? and size_bytes = ?""",
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
                results[str(raw.path)] = FileResult(str(raw.path), raw.partition, *prev[:4], raw.expected_records,
                                                    skipped=True, quarantined_bytes=prev[6])
                continue
        _forget(con, entity, str(raw.path))
        pending.append((raw, size, mtime_ns, digest))
    # A new file is hashed for the load log; the files at once, one per core (hashlib lets go of the GIL).
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        digests = list(pool.map(lambda item: item[3] or sha256_of(item[0].path), pending))
    pending = [(raw, size, mtime_ns, digest) for (raw, size, mtime_ns, _), digest in zip(pending, digests, strict=True)]
    outcomes: dict[str, Outcome] = {}
    records: dict[str, int | None] = {}
    together_files: list[RawFile] = []
    for raw, *_ in pending:
        records[str(raw.path)], too_long, whole = _precheck(con, entity, raw, quarantine, max_line_bytes)
        if whole is not None:
            outcomes[str(raw.path)] = whole
        elif too_long:  # measured while counting: straight to the line-by-line read
            outcomes[str(raw.path)] = load_line_by_line(con, entity, raw, quarantine, universe, max_line_bytes)
        else:
            together_files.append(raw)
    together = _insert_together(con, entity, together_files, universe, max_line_bytes, read) if together_files else {}
    for raw in together_files:
        if together is not None:
            read, loaded = together[str(raw.path)]
            outcomes[str(raw.path)] = Outcome(records[str(raw.path)], loaded, read - loaded)
        else:
            outcomes[str(raw.path)] = _insert_one(con, entity, raw, records[str(raw.path)], quarantine, universe,
                                                  max_line_bytes, read)
    for raw, size, mtime_ns, digest in pending:
        o = outcomes[str(raw.path)]
        con.execute(
            """insert into raw.load_log (entity, file, partition, size_bytes, mtime_ns, sha256, expected_records, records,
                                         loaded, outside_universe, quarantined, quarantined_bytes)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [entity, str(raw.path), raw.partition, size, mtime_ns, digest, raw.expected_records, o.records, o.loaded,
             o.outside_universe, o.quarantined, o.quarantined_bytes],
        )
        results[str(raw.path)] = FileResult(str(raw.path), raw.partition, o.records, o.loaded, o.outside_universe,
                                            o.quarantined, raw.expected_records, quarantined_bytes=o.quarantined_bytes,
                                            size_bytes=size, reason=o.reason)
    if quarantine_path is not None:
        quarantine.write_file(entity, quarantine_path)
    return LoadResult(entity, [results[str(raw.path)] for raw in files])


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
