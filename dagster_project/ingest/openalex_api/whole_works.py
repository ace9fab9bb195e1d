"""Works whose list record is cut at 100 authorships, and their whole records from the single-work endpoint.

OpenAlex's list endpoints cut a work's `authorships` at 100 and mark it `is_authors_truncated: true`; the work's
own record (`/works/W…`) is never cut. A partner listed after the 100th author would be lost, so every cut work
is fetched whole (one request each, through the fetch's client) and its whole record is checkpointed as
`pages/works_whole/<id>.jsonl.gz`; when the works are read back for the entities and the landing, the whole
record stands in for the cut one. A cut work with no whole record is an error, never landed as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from .checkpoint import Checkpoint, read_page
from .errors import ApiFetchError
from .landing import short_id

# Pages are written compactly (checkpoint.write_page), so a cut record carries exactly this text; only lines
# holding it are parsed to be sure.
_CUT_TEXT = '"is_authors_truncated":true'


def is_cut(rec: dict) -> bool:
    return rec.get("is_authors_truncated") is True


def _cut_record(line: str) -> dict | None:
    if _CUT_TEXT not in line:
        return None
    rec = json.loads(line)
    return rec if is_cut(rec) and short_id(rec.get("id")) else None


def cut_works(lines: Iterable[str]) -> dict[str, int]:
    """Work id -> authorships its list record shows, for every cut work (once, in the order met)."""
    out: dict[str, int] = {}
    for line in lines:
        rec = _cut_record(line)
        if rec is not None:
            out.setdefault(short_id(rec["id"]), len(rec.get("authorships") or []))
    return out


def whole_page(ck: Checkpoint, work_id: str) -> Path:
    return ck.page("works_whole", f"{work_id}.jsonl.gz")


def with_whole_records(lines: Iterable[str], ck: Checkpoint) -> Iterator[str]:
    """The works' lines, each cut record replaced by its whole record from the checkpoint."""
    for line in lines:
        rec = _cut_record(line)
        if rec is None:
            yield line
            continue
        work_id = short_id(rec["id"])
        path = whole_page(ck, work_id)
        if not path.is_file():
            raise ApiFetchError(f"work {work_id} is cut at {len(rec.get('authorships') or [])} authorships in its list "
                                f"record and its whole record is not in {path.parent}")
        yield from read_page(path)


def describe(what: str, shown: int) -> str:
    """How a single-work request is named in messages and errors."""
    return f"the whole record of work {what} (its list record cut at {shown} authorships)"
