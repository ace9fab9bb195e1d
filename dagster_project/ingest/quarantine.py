"""The slow path for a raw file the typed read refused, and the quarantine.

The file is read line by line in Python: a line longer than the size limit, malformed JSON, a record that is not
an object or has no valid id, a text field holding a JSON object or array (where the warehouse keeps it), and a
record that does not fit the typed schema (found by bisection) go to the quarantine (table `raw.quarantine` and
a JSON-lines file) with file, line and reason; the rest loads. A part file that cannot be read at all (not gzip,
truncated, corrupt) is quarantined whole, with its records (the manifest's count, or the lines readable) and its
bytes: nothing of it is loaded.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .raw_schema import columns_sql, id_regex, text_misfits
from .snapshot import RawFile
from .typed_read import in_universe, insert_files
from .universe import Universe

GZIP_MAGIC = b"\x1f\x8b"
TEXT_LIMIT = 2000  # characters of a quarantined line kept for people to read
LEADING_ID = re.compile(r'\{\s*"id"\s*:\s*"([^"]{1,200})"')  # an over-long line's id, when it comes first
STORED_FOR_EVERY_WORK = ("id", "updated_date")  # a work outside the universe keeps only these


class Unreadable(Exception):
    """A raw file that cannot be read as a whole: `reason` says why, `lines` how many lines were read before."""

    def __init__(self, reason: str, lines: int = 0):
        super().__init__(reason)
        self.reason, self.lines = reason, lines


@dataclass
class Outcome:
    records: int
    loaded: int = 0
    outside_universe: int = 0
    quarantined: int = 0
    quarantined_bytes: int = 0  # the file's size, when it is quarantined whole
    reason: str | None = None  # why the file is quarantined whole


def quarantine_file(raw_dir: Path, source: str, entity: str) -> Path:
    return Path(raw_dir) / source / "quarantine" / f"{entity}.jsonl"


class Quarantine:
    """Collects rejected lines into `raw.quarantine`; `write_file` mirrors the table as JSON lines for people."""

    def __init__(self, con):
        self.con = con

    def add(self, entity: str, raw: RawFile, items: list[tuple[int | None, str | None, str, str]]) -> None:
        if items:
            self.con.executemany(
                "insert into raw.quarantine (entity, file, line, record_id, reason, record_text) values (?, ?, ?, ?, ?, ?)",
                [(entity, str(raw.path), line, rid, reason, text[:TEXT_LIMIT]) for line, rid, reason, text in items],
            )

    def write_file(self, entity: str, path: Path) -> None:
        """Every quarantined line of the entity (files read in earlier runs and unchanged since included)."""
        rows = self.con.execute(
            "select file, line, record_id, reason, record_text from raw.quarantine where entity = ? order by file, line",
            [entity],
        ).fetchall()
        path.unlink(missing_ok=True)
        if rows:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as out:
                for file, line, rid, reason, text in rows:
                    out.write(json.dumps({"entity": entity, "file": file, "line": line, "record_id": rid,
                                          "reason": reason, "record": text}) + "\n")


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def check_gzip_header(raw: RawFile) -> None:
    """Raise Unreadable if a `.gz` part file does not start as gzip does (read two bytes, not the file)."""
    if raw.path.suffix != ".gz":
        return
    with raw.path.open("rb") as fh:
        head = fh.read(len(GZIP_MAGIC))
    if not head:
        raise Unreadable("not a complete gzip file: it is empty (0 bytes)")
    if head != GZIP_MAGIC:
        raise Unreadable(f"not a gzip file: it starts with the bytes {head.hex(' ')}, not 1f 8b")


def read_lines(path: Path, max_bytes: int) -> Iterator[tuple[int, bytes, int]]:
    """(line number, text, size in bytes) of each non-blank line; a line over `max_bytes` comes with only its start
    (memory stays bounded). Raises Unreadable for a gzip file that is not one, is cut short or is corrupt."""
    line_no = 0
    try:
        with _open_binary(path) as fh:
            while chunk := fh.readline(max_bytes + 2):
                line_no += 1
                size, last = len(chunk), chunk
                if size > max_bytes and not chunk.endswith(b"\n"):
                    while rest := fh.readline(1 << 20):  # the rest of an over-long line: counted, not kept
                        size, last = size + len(rest), rest
                        if rest.endswith(b"\n"):
                            break
                size -= len(last) - len(last.rstrip(b"\r\n"))
                text = chunk.rstrip(b"\r\n") if size <= max_bytes else chunk[:TEXT_LIMIT * 4]
                if text.strip():
                    yield line_no, text, size
    except EOFError:
        raise Unreadable(f"not a complete gzip file: its data ends after line {line_no:,}, before the end of the "
                         "compressed stream", line_no) from None
    except gzip.BadGzipFile as exc:
        raise Unreadable(f"not a gzip file: {exc}" if line_no == 0 else f"a corrupt gzip file: {exc}, after line {line_no:,}",
                         line_no) from None
    except zlib.error as exc:
        raise Unreadable(f"a corrupt gzip file: {exc}, after line {line_no:,}", line_no) from None


def count_records(raw: RawFile, max_bytes: int) -> tuple[int, int]:
    """(records, size of the longest line) of a raw file, reading it all; raises Unreadable."""
    records = longest = 0
    for _, _, size in read_lines(raw.path, max_bytes):
        records += 1
        longest = max(longest, size)
    return records, longest


def quarantine_whole(entity: str, raw: RawFile, problem: Unreadable, quarantine: Quarantine) -> Outcome:
    """Nothing of the file is loaded; it counts with its records (the manifest's, or the lines readable) and its
    bytes against the quarantine limit."""
    records = raw.expected_records if raw.expected_records is not None else problem.lines
    quarantine.add(entity, raw, [(None, None, problem.reason, "")])
    return Outcome(records, quarantined=records, quarantined_bytes=raw.path.stat().st_size, reason=problem.reason)


def _fits(con, entity: str, lines: list[tuple[int, str]], tmp: Path, max_bytes: int) -> str | None:
    """None if the lines parse into the typed schema, else DuckDB's error."""
    path = tmp / "probe.jsonl"
    path.write_text("".join(t + "\n" for _, t in lines), encoding="utf-8")
    try:
        con.execute(
            f"create or replace temp table _probe as select * from read_json($files, format='newline_delimited', "
            f"columns={columns_sql(entity)}, maximum_object_size={int(max_bytes)})",
            {"files": [str(path)]},
        )
        return None
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    finally:
        con.execute("drop table if exists _probe")


def _schema_misfits(con, entity: str, lines: list[tuple[int, str]], tmp: Path, max_bytes: int) -> list[tuple[int, str]]:
    """The lines that do not fit the typed schema, found by bisection: (line number, error)."""
    if not lines:
        return []
    error = _fits(con, entity, lines, tmp, max_bytes)
    if error is None:
        return []
    if len(lines) == 1:
        return [(lines[0][0], re.sub(r' in file "[^"]*", in line \d+', "", error))]
    mid = len(lines) // 2
    return (_schema_misfits(con, entity, lines[:mid], tmp, max_bytes)
            + _schema_misfits(con, entity, lines[mid:], tmp, max_bytes))


def load_line_by_line(con, entity: str, raw: RawFile, quarantine: Quarantine, universe: Universe | None,
                      max_bytes: int) -> Outcome:
    """The slow path for a file with bad lines, or one that cannot be read at all (then quarantined whole)."""
    pattern = re.compile(id_regex(entity))
    good: list[tuple[int, str]] = []
    bad: list[tuple[int, str | None, str, str]] = []
    text_fields: dict[int, list[str]] = {}
    records = 0
    try:
        for line_no, data, size in read_lines(raw.path, max_bytes):
            records += 1
            text = data.decode("utf-8", errors="replace")
            if size > max_bytes:
                rid = m.group(1) if (m := LEADING_ID.match(text)) else None
                bad.append((line_no, rid, f"a line of {size:,} bytes, longer than RAW_MAX_LINE_BYTES={max_bytes:,}", text))
                continue
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
            if fields := text_misfits(entity, rec):
                text_fields[line_no] = fields
            good.append((line_no, text))
    except Unreadable as problem:
        return quarantine_whole(entity, raw, problem, quarantine)
    # Lines that are valid JSON but do not fit the typed schema. DuckDB's error names a line number that is
    # not reliable across its read batches, so the misfits are found by bisection instead.
    with tempfile.TemporaryDirectory() as tmp:
        schema_errors = dict(_schema_misfits(con, entity, good, Path(tmp), max_bytes))
        # A text field holding an object matters where it is kept: any field of a record kept whole, only the
        # date of a work outside the universe (the typed read judges the same).
        suspects = [(n, t) for n, t in good if n in text_fields and n not in schema_errors]
        kept_whole = in_universe(con, entity, suspects, universe, Path(tmp), max_bytes) if suspects else set()
        reasons = {n: "does not fit the raw schema: " + error for n, error in schema_errors.items()}
        for n, _ in suspects:
            fields = [f for f in text_fields[n] if n in kept_whole or re.split(r"[.\[]", f)[0] in STORED_FOR_EVERY_WORK]
            if fields:
                reasons[n] = "a JSON object or array where text is expected, in " + ", ".join(fields)
        for line_no, text in good:
            if line_no in reasons:
                bad.append((line_no, json.loads(text).get("id"), reasons[line_no], text))
        kept = [(n, t) for n, t in good if n not in reasons]
        tmp_path = Path(tmp) / "lines.jsonl"
        tmp_path.write_text("".join(t + "\n" for _, t in kept), encoding="utf-8")
        counts = insert_files(con, entity, {str(tmp_path): raw}, universe, max_bytes) if kept else {}
        read, loaded, _ = counts.get(str(raw.path), (0, 0, 0))
    quarantine.add(entity, raw, sorted(bad))
    return Outcome(records, loaded, read - loaded, len(bad))
