"""Landing a finished API fetch: the checkpoint's pages become `<raw_dir>/api/` in the 2026 snapshot layout.

    data/jsonl/{works,institutions,funders}/updated_date=<fetch date>/part_NNNN.gz   JSON lines, one record each
    manifest.json       {"entries": [{url, meta: {record_count, content_length, sha256}}], "fetch": {...}}
    work_counts.jsonl   {scope, publication_year, works_count, query, fetched_at} — the denominators

Everything is built in `.staging/` with a COMMITTED marker, then swapped in; a crash mid-swap is rolled forward
by the next run (`swap_in` is idempotent), so readers see the previous fetch or the new one, never a mix.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pyalex

from ..raw_schema import schema_eras, work_fields_present
from .checkpoint import Checkpoint, atomic_write_bytes, atomic_write_json, now_iso, read_page
from .client import HttpStats
from .query import StudyScope

LANDED = ("data", "manifest.json", "work_counts.jsonl")  # what a fetch replaces under <raw_dir>/api
ENTITIES = ("institutions", "funders")
_ID = re.compile(r"^[A-Z][0-9]+$")


def short_id(value) -> str | None:
    """`https://openalex.org/I123` -> `I123`; anything that is not an OpenAlex id -> None."""
    if not isinstance(value, str):
        return None
    tail = value.rstrip("/").rsplit("/", 1)[-1].upper()
    return tail if _ID.match(tail) else None


def schema_era(rec: dict) -> str:
    """The OpenAlex schema era of one work record (the rule: raw_schema.schema_era_sql)."""
    return next(iter(schema_eras(Counter([work_fields_present(rec)]))))


class PartWriter:
    """Writes `<base>/data/jsonl/<entity>/updated_date=<date>/part_NNNN.gz`, at most part_size lines each."""

    def __init__(self, base: Path, entity: str, date: str, part_size: int):
        self.base, self.entity, self.part_size = base, entity, part_size
        self.dir = base / "data" / "jsonl" / entity / f"updated_date={date}"
        self.files: list[dict] = []
        self._fh = None
        self._count = 0

    def write(self, line: str) -> None:
        if self._fh is None or self._count >= self.part_size:
            self._close()
            self.dir.mkdir(parents=True, exist_ok=True)
            path = self.dir / f"part_{len(self.files):04d}.gz"
            self.files.append({"path": path, "records": 0})
            self._fh = gzip.open(path, "wt", encoding="utf-8", compresslevel=5)
            self._count = 0
        self._fh.write(line)
        self._count += 1
        self.files[-1]["records"] += 1

    def _close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def close(self) -> list[dict]:
        """The files written: url (relative), entity, records, bytes, sha256."""
        self._close()
        out = []
        for f in self.files:
            path: Path = f["path"]
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            out.append({"url": path.relative_to(self.base).as_posix(), "entity": self.entity, "records": f["records"],
                        "bytes": path.stat().st_size, "sha256": digest.hexdigest()})
        return out


def work_counts_rows(scope: StudyScope, counts: dict, warn: Callable[[str], None]) -> list[dict]:
    """One row per scope and year: concept + subfield − both, from the three group_by answers."""
    rows = []
    for name, value in scope.scopes():
        parts = {p: counts[f"{name}|{p}"] for p in ("concept", "subfield", "both")}
        fetched_at = max(p["fetched_at"] for p in parts.values())
        query = scope.counts_query_text(value)
        for year in scope.years:
            c, s, b = (int(parts[p]["groups"].get(str(year), 0)) for p in ("concept", "subfield", "both"))
            if b > min(c, s):
                warn(f"work counts {name} {year}: concept {c}, subfield {s}, both {b} do not add up "
                     "(OpenAlex changed between the calls?)")
            rows.append({"scope": name, "publication_year": year, "works_count": max(c + s - b, 0), "query": query,
                         "fetched_at": fetched_at})
    return rows


def stage(ck: Checkpoint, scope: StudyScope, staging: Path, *, works_lines: Iterable[str], http: dict, base_url: str,
          per_page: int, part_size: int, run_seconds: float, warn: Callable[[str], None]) -> dict:
    """Build the complete fetch in `staging` (files, work_counts, manifest, COMMITTED); returns its stats."""
    state = ck.state
    date = state["fetch_date"]
    files: list[dict] = []
    counts: dict[str, int] = {}
    fields_present: Counter = Counter()  # per set of fields a work carries: its schema era, counted once below
    fetched_works = 0
    for entity in ("works", *ENTITIES):  # an empty result must replace old files too
        (staging / "data" / "jsonl" / entity).mkdir(parents=True, exist_ok=True)
    writer = PartWriter(staging, "works", date, part_size)
    seen: set[str] = set()
    for line in works_lines:  # the concept and subfield queries overlap: first one wins
        fetched_works += 1
        rec = json.loads(line)
        if rec.get("id") in seen:
            continue
        seen.add(rec.get("id"))
        fields_present[work_fields_present(rec)] += 1
        writer.write(line)
    files += writer.close()
    counts["works"] = len(seen)
    for entity in ENTITIES:
        writer = PartWriter(staging, entity, date, part_size)
        seen = set()
        for path in sorted(ck.page(entity).glob("round_*_batch_*.jsonl.gz"), key=lambda p: p.name):
            for line in read_page(path):
                rid = json.loads(line).get("id")
                if rid not in seen:
                    seen.add(rid)
                    writer.write(line)
        files += writer.close()
        counts[entity] = len(seen)
    rows = work_counts_rows(scope, state["counts"], warn)
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    (staging / "work_counts.jsonl").write_text(lines)

    prior = state["stats"].get("total_before_this_run") or {}
    total = HttpStats.merge(prior, http)
    durations = state.get("durations", {})
    whole = state.get("whole_works", {}).get("ids", [])
    stats = {
        "records": counts, "work_counts_rows": len(rows),
        "works_fetched": fetched_works, "works_duplicates_dropped": fetched_works - counts["works"],
        "works_refetched_whole": len(whole),  # cut at 100 authorships in the list pages, landed whole
        "pages": {"works": sum(st["pages"] for st in state["works"].values()),
                  **{e: sum(r["batches_done"] for r in state["entities"][e]["rounds"]) for e in ENTITIES},
                  "work_counts": len(state["counts"])},
        "requests": total["requests"], "retries": total["retries"], "retry_reasons": total["retry_reasons"],
        "http_statuses": total["statuses"], "bytes_downloaded": total["bytes_downloaded"],
        "bytes_written": sum(f["bytes"] for f in files) + len(lines.encode()),
        "schema_eras": schema_eras(fields_present),
        "missing": {e: len(state["entities"][e].get("missing", [])) for e in ENTITIES},
        "meta_count_mismatches": [n for n, st in state["works"].items() if st["meta_count"] not in (None, st["records"])],
        "duration_s": round(sum(durations.values()), 2), "duration_this_run_s": round(run_seconds, 2),
        "phase_durations_s": durations,
        "works_records_per_s": round(fetched_works / durations["works"], 1) if durations.get("works") else None,
        "runs": int(state.get("runs", 1)), "resumed": ck.resumed,
    }
    fetch_doc = {
        "source": f"OpenAlex API, queries built by pyalex {pyalex.__version__}",
        "base_url": base_url, "started_at": state["started_at"], "fetched_at": now_iso(), "fetch_date": date,
        "scope": scope.describe(), "per_page": per_page,
        "queries": [{"name": n, "entity": "works", "filter": st["filter"], "pages": st["pages"], "records": st["records"],
                     "meta_count": st["meta_count"]} for n, st in state["works"].items()],
        "works_fetched_whole": {"why": "cut at 100 authorships in the list pages (is_authors_truncated); landed whole "
                                       "from the single-work endpoint", "ids": whole},
        "work_counts": {"method": "group_by=publication_year; AI = concept + subfield - (concept AND subfield)",
                        "queries": [{"key": k, "filter": v["filter"], "groups": v["groups"], "fetched_at": v["fetched_at"]}
                                    for k, v in state["counts"].items()]},
        "entities": {e: {"requested": state["entities"][e].get("requested", 0), "received": counts[e],
                         "rounds": len(state["entities"][e]["rounds"]), "missing": state["entities"][e].get("missing", [])}
                     for e in ENTITIES},
        "files": [{k: f[k] for k in ("url", "entity", "records", "bytes", "sha256")} for f in files],
        "schema_eras": stats["schema_eras"], "stats": stats,
    }
    manifest = {
        "entries": [{"url": f["url"], "meta": {"record_count": f["records"], "content_length": f["bytes"], "sha256": f["sha256"]}}
                    for f in files],
        "fetch": fetch_doc,
    }
    atomic_write_json(staging / "manifest.json", manifest, pretty=True)
    atomic_write_bytes(staging / "COMMITTED", b"")
    return stats


def swap_in(staging: Path, root: Path) -> None:
    """Replace root's landed files with staging's. Idempotent: a run that died half-way is rolled forward."""
    previous = root / ".previous"
    for name in LANDED:
        src, dst = staging / name, root / name
        if not src.exists():
            continue  # already moved (or not produced)
        if dst.exists():
            previous.mkdir(exist_ok=True)
            old = previous / name
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
            os.replace(dst, old)
        os.replace(src, dst)
    shutil.rmtree(previous, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
