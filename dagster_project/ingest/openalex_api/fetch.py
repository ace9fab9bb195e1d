"""The API fetch, phase by phase: works (cursor-paged), denominators (group_by), then the entities they cite.

`fetch(settings, log)` writes `<raw_dir>/api/` (see `landing`) and returns a `FetchResult`: that folder and the
fetch's stats (records, pages, requests, retries, bytes, schema eras, durations; also in manifest.json).

1. **Works**: one cursor-paged query per part of the AI definition (see `query`). Each page is checkpointed
   before its cursor is saved; a resumed run continues from the saved cursor. The records fetched are checked
   against `meta.count`.
   **Works cut at 100 authorships** (`is_authors_truncated`, see `whole_works`) are then fetched whole, one
   single-work request each, each whole record checkpointed as it comes; they replace the cut records.
2. **Denominators**: three `group_by=publication_year` counts per scope (concept, subfield, both).
3. **Entities**: institution records for every institution id on the fetched works and in their `lineage`
   (then the lineage of what came back, until closed), and funder records for every funder id
   (`grants[].funder`, `funders[].id`, `awards[].funder_id`), in batches of ≤ 100 ids. Ids OpenAlex does not
   return (merged or deleted) are listed in the manifest as missing.

Every failure leaves the checkpoint in place: `BudgetExhausted`, `ApiAuthError`, `ApiFetchError` say so, and
the next call resumes. The API key comes from the environment (OPENALEX_API_KEY, via Settings) and goes only
into the client's Authorization header.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ...settings import Settings
from .checkpoint import Checkpoint, atomic_write_json, exclusive, now_iso, read_page, write_page
from .client import MAX_ATTEMPTS, MAX_RETRY_AFTER_S, RETRY_WAIT_S, TIMEOUT, HttpStats, OpenAlexClient
from .errors import ApiAuthError, ApiFetchError, QueryRejected
from .landing import ENTITIES, short_id, stage, swap_in
from .query import StudyScope, ids_query, record_query, with_params
from .whole_works import cut_works, describe, whole_page, with_whole_records

PROGRESS_ENV = "OPENALEX_PROGRESS"  # "0" turns the progress bars off
PER_PAGE = 200  # the API's maximum
ID_BATCH = 100  # the API's maximum of OR values in one filter
PART_SIZE = 50_000  # records per part file
ENTITY_ROUNDS = 5  # lineage closure: rounds of "fetch the ancestors of what came back"


@dataclass(frozen=True)
class FetchResult:
    root: Path  # the snapshot-layout folder the raw asset loads
    stats: dict


class _Fetch:
    def __init__(self, settings: Settings, log, client: OpenAlexClient, *, scope: StudyScope, per_page: int,
                 part_size: int, progress: bool, on_event: Callable[[str, dict], None] | None):
        self.log, self.client, self.scope = log, client, scope
        self.per_page, self.part_size, self.progress, self.on_event = per_page, part_size, progress, on_event
        self.root = settings.raw_dir / "api"
        self.ck: Checkpoint | None = None

    def info(self, msg: str) -> None:
        self.log.info(self.client.redact(msg))

    def warning(self, msg: str) -> None:
        self.log.warning(self.client.redact(msg))

    def event(self, name: str, **info) -> None:
        if self.on_event:
            self.on_event(name, info)

    def bar(self, **kw):
        return tqdm(file=sys.stderr, disable=not self.progress, dynamic_ncols=True, mininterval=0.5, **kw)

    def save(self) -> None:
        self.ck.state["stats"]["this_run"] = self.client.stats.as_dict()
        self.ck.save()

    def plan(self) -> dict:
        return {
            "base_url": self.client.base_url, "per_page": self.per_page, "scope": self.scope.describe(),
            "works_queries": [{"name": q.name, "filter": q.filter_string} for q in self.scope.works_queries()],
            "count_queries": [{"scope": c.scope, "part": c.part, "filter": c.query.filter_string} for c in self.scope.count_queries()],
        }

    def run(self) -> FetchResult:
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive(self.root / ".lock"):
            staging = self.root / ".staging"
            if (staging / "COMMITTED").is_file():
                self.info("Finishing the swap-in of the previous fetch that stopped half-way")
                swap_in(staging, self.root)
                shutil.rmtree(self.root / ".checkpoint", ignore_errors=True)
            elif staging.exists():
                shutil.rmtree(staging)
            plan = self.plan()
            fingerprint = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()
            self.ck = Checkpoint.open(self.root / ".checkpoint", fingerprint, plan, self.log)
            http = self.ck.state["stats"]  # earlier runs' HTTP counters, added up
            http["total_before_this_run"] = HttpStats.merge(http.get("total_before_this_run") or {}, http.get("this_run") or {})
            http["this_run"] = {}
            self.info(f"OpenAlex API fetch from {self.client.base_url}: {len(plan['works_queries'])} works queries, "
                      f"{len(plan['count_queries'])} group_by counts, years {self.scope.start_year}-{self.scope.end_year}")
            try:
                self.timed("works", self.fetch_works)
                self.timed("works_whole", self.fetch_whole_works)
                self.timed("work_counts", self.fetch_counts)
                self.timed("entities", self.fetch_entities)
            except ApiFetchError as exc:
                raise type(exc)(self.client.redact(f"{exc}; what was fetched is checkpointed in {self.ck.dir}: run the "
                                                   "fetch again and it resumes where it stopped")) from None
            stats = stage(self.ck, self.scope, staging, works_lines=self.works_lines(), http=self.client.stats.as_dict(),
                          base_url=self.client.base_url, per_page=self.per_page, part_size=self.part_size,
                          run_seconds=time.monotonic() - started, warn=self.warning)
            self.event("staged", path=staging)
            swap_in(staging, self.root)
            self.ck.drop()
        r = stats["records"]
        self.info(
            f"OpenAlex API fetch landed in {self.root}: {r['works']} works ({stats['works_duplicates_dropped']} duplicates "
            f"across queries dropped, {stats['works_refetched_whole']} fetched whole for their authors past the 100th), "
            f"{r['institutions']} institutions, {r['funders']} funders, {stats['work_counts_rows']} "
            f"work_counts rows; {stats['requests']} requests, {stats['retries']} retries, {stats['bytes_downloaded']} bytes "
            f"in {stats['duration_s']} s; eras {stats['schema_eras']}"
        )
        return FetchResult(self.root, stats)

    def timed(self, phase: str, fn: Callable[[], None]) -> None:
        t0 = time.monotonic()
        try:
            fn()
        finally:
            durations = self.ck.state.setdefault("durations", {})
            durations[phase] = round(durations.get(phase, 0.0) + time.monotonic() - t0, 3)
            self.save()

    def fetch_works(self) -> None:
        for q in self.scope.works_queries():
            st = self.ck.state["works"].setdefault(q.name, {
                "filter": q.filter_string, "cursor": "*", "pages": 0, "records": 0, "bytes": 0, "meta_count": None, "done": False,
            })
            if not st["done"]:
                self.fetch_query(q)
            st = self.ck.state["works"][q.name]
            if st["meta_count"] is not None and st["records"] != st["meta_count"]:
                self.warning(f"works {q.name}: fetched {st['records']} records but meta.count said {st['meta_count']} "
                             "(OpenAlex changed during the fetch?)")
            self.info(f"works {q.name}: {st['records']} records in {st['pages']} pages (meta.count {st['meta_count']})")

    def fetch_query(self, q) -> None:
        st = self.ck.state["works"][q.name]
        bar = self.bar(total=st["meta_count"], initial=st["records"], unit="rec", desc=f"works {q.name}")
        restarted = False
        try:
            while st["cursor"] is not None:
                try:
                    doc = self.client.get(f"works {q.name} page {st['pages'] + 1}",
                                          with_params(q.build(), per_page=self.per_page, cursor=st["cursor"]))
                except QueryRejected:
                    if st["cursor"] == "*" or restarted:
                        raise
                    # A resumed cursor the API no longer accepts: this query starts again (its pages are rewritten).
                    self.warning(f"works {q.name}: OpenAlex rejected the saved cursor; restarting this query from its first page")
                    self.ck.state["works"][q.name] = st = dict(st, cursor="*", pages=0, records=0, bytes=0, meta_count=None)
                    self.save()
                    restarted = True
                    bar.reset(total=None)
                    continue
                page, meta = doc.get("results") or [], doc.get("meta") or {}
                if st["meta_count"] is None:
                    st["meta_count"] = int(meta.get("count") or 0)
                    bar.total = st["meta_count"]
                new = dict(st, cursor=meta.get("next_cursor") if page else None)
                if page:
                    path = self.ck.page("works", q.name, f"page_{st['pages']:05d}.jsonl.gz")
                    size = write_page(path, page)
                    self.event("page_written", entity="works", query=q.name, page=st["pages"], path=path)
                    new.update(pages=st["pages"] + 1, records=st["records"] + len(page), bytes=st["bytes"] + size)
                # One assignment: the state never holds a page without its cursor, whatever interrupts us.
                self.ck.state["works"][q.name] = st = new
                self.save()
                self.event("page_saved", entity="works", query=q.name, page=st["pages"] - 1, records=st["records"])
                bar.update(len(page))
                bar.set_postfix(pages=st["pages"], refresh=False)
        finally:
            bar.close()
        st["done"] = True
        self.save()

    def fetch_counts(self) -> None:
        queries = self.scope.count_queries()
        done = self.ck.state["counts"]
        todo = [c for c in queries if c.key not in done]
        bar = self.bar(total=len(queries), initial=len(queries) - len(todo), unit="query", desc="work counts")
        try:
            for cq in todo:
                doc = self.client.get(f"work counts {cq.scope} ({cq.part})", cq.query.build().group_by("publication_year"))
                groups = {}
                for g in doc.get("group_by") or []:
                    try:
                        groups[str(int(g["key"]))] = int(g["count"])
                    except (KeyError, TypeError, ValueError):
                        continue  # "unknown" year
                done[cq.key] = {"filter": cq.query.filter_string, "groups": groups,
                                "meta_count": (doc.get("meta") or {}).get("count"), "fetched_at": now_iso()}
                self.save()
                self.event("count_saved", key=cq.key)
                bar.update(1)
        finally:
            bar.close()
        self.info(f"work counts: {len(queries)} group_by queries for {len(self.scope.scopes())} scopes")

    def fetch_whole_works(self) -> None:
        """Each work cut at 100 authorships in the list pages, fetched whole through its own endpoint."""
        st = self.ck.state.setdefault("whole_works", {"ids": [], "done": False})
        if st["done"]:
            return
        cut = cut_works(self.list_lines())
        st["ids"] = list(cut)
        todo = [w for w in cut if not whole_page(self.ck, w).is_file()]  # a resumed run skips what it has
        bar = self.bar(total=len(cut), initial=len(cut) - len(todo), unit="work", desc="works fetched whole")
        try:
            for work_id in todo:
                what = describe(work_id, cut[work_id])
                doc = self.client.get(what, record_query("works", work_id))
                got = short_id(doc.get("id"))
                if got is None or not isinstance(doc.get("authorships"), list):
                    raise ApiFetchError(f"OpenAlex answered {what} with something that is not a work record")
                if got != work_id:
                    self.warning(f"work {work_id} is now {got} in OpenAlex (merged during the fetch): its whole record is landed")
                if doc.get("is_authors_truncated") is True:
                    self.warning(f"OpenAlex's own record of work {work_id} is still marked truncated "
                                 f"({len(doc['authorships'])} authorships): landed as OpenAlex returned it")
                write_page(whole_page(self.ck, work_id), [doc])
                self.save()
                self.event("whole_work_saved", work=work_id)
                bar.update(1)
        finally:
            bar.close()
        st["done"] = True
        self.save()
        if cut:
            self.info(f"works cut at 100 authorships in the list pages: {len(cut)} fetched whole ({len(todo)} in this run)")

    def list_lines(self):
        """The works as the list pages gave them (records cut at 100 authorships included)."""
        for q in self.scope.works_queries():
            st = self.ck.state["works"][q.name]
            for i in range(st["pages"]):
                yield from read_page(self.ck.page("works", q.name, f"page_{i:05d}.jsonl.gz"))

    def works_lines(self):
        """The works to land: every cut record replaced by its whole record."""
        return with_whole_records(self.list_lines(), self.ck)

    def referenced_ids(self) -> tuple[set[str], set[str]]:
        institutions: set[str] = set()
        funders: set[str] = set()
        for line in self.works_lines():
            rec = json.loads(line)
            for a in rec.get("authorships") or []:
                for inst in a.get("institutions") or []:
                    institutions.update(filter(None, [short_id(inst.get("id"))] + [short_id(x) for x in inst.get("lineage") or []]))
            funders.update(filter(None, (short_id(g.get("funder")) for g in rec.get("grants") or [])))
            funders.update(filter(None, (short_id(f.get("id")) for f in rec.get("funders") or [])))
            funders.update(filter(None, (short_id(a.get("funder_id")) for a in rec.get("awards") or [])))
        return {i for i in institutions if i.startswith("I")}, {f for f in funders if f.startswith("F")}

    def fetch_entities(self) -> None:
        state = self.ck.state["entities"]
        if all(state.get(e, {}).get("done") for e in ENTITIES):
            return
        institutions, funders = self.referenced_ids()
        for entity, wanted in (("institutions", institutions), ("funders", funders)):
            est = state.setdefault(entity, {"rounds": [], "done": False})
            if not est["done"]:
                self.fetch_entity(entity, wanted, est)

    def fetch_entity(self, entity: str, wanted: set[str], est: dict) -> None:
        """Rounds of id batches; for institutions each round asks for the lineage of what came back."""
        requested: set[str] = set()
        received: set[str] = set()
        next_ids = set(wanted)
        for r in range(ENTITY_ROUNDS):
            ids_file = self.ck.page(entity, f"round_{r}_ids.json")
            if r < len(est["rounds"]):
                ids = json.loads(ids_file.read_text())
            else:
                ids = sorted(next_ids - requested)
                if not ids:
                    break
                atomic_write_json(ids_file, ids)
                est["rounds"].append({"ids": len(ids), "batches_done": 0, "received": 0})
                self.save()
            rnd = est["rounds"][r]
            batches = [ids[k:k + ID_BATCH] for k in range(0, len(ids), ID_BATCH)]
            bar = self.bar(total=len(ids), initial=min(len(ids), rnd["batches_done"] * ID_BATCH), unit="id",
                           desc=f"{entity} round {r}")
            try:
                for b in range(rnd["batches_done"], len(batches)):
                    batch = batches[b]
                    doc = self.client.get(f"{entity} batch {b + 1}/{len(batches)}",
                                          with_params(ids_query(entity, batch), per_page=len(batch)))
                    records = doc.get("results") or []
                    write_page(self.ck.page(entity, f"round_{r}_batch_{b:05d}.jsonl.gz"), records)
                    rnd["batches_done"] = b + 1
                    rnd["received"] += len(records)
                    self.save()
                    bar.update(len(batch))
            finally:
                bar.close()
            requested.update(ids)
            next_ids = set()
            for b in range(len(batches)):
                for line in read_page(self.ck.page(entity, f"round_{r}_batch_{b:05d}.jsonl.gz")):
                    rec = json.loads(line)
                    received.add(short_id(rec.get("id")) or "")
                    if entity == "institutions":
                        next_ids.update(filter(None, (short_id(x) for x in rec.get("lineage") or [])))
            next_ids -= requested | received
        est["requested"] = len(requested)
        est["missing"] = sorted(requested - received)
        est["done"] = True
        self.save()
        if est["missing"]:
            self.warning(f"{entity}: {len(est['missing'])} of {len(requested)} referenced ids were not returned "
                         f"(merged or deleted in OpenAlex), e.g. {', '.join(est['missing'][:5])}")
        self.info(f"{entity}: {len(requested) - len(est['missing'])} records for {len(requested)} referenced ids")


def fetch(
    settings: Settings,
    log,
    *,
    scope: StudyScope | None = None,
    per_page: int = PER_PAGE,
    part_size: int = PART_SIZE,
    timeout=TIMEOUT,
    max_attempts: int = MAX_ATTEMPTS,
    retry_wait: float = RETRY_WAIT_S,
    max_retry_after: float = MAX_RETRY_AFTER_S,
    progress: bool | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Fetch the study's works, denominators and entities from the OpenAlex API into `<raw_dir>/api`.

    Returns that folder and the fetch's stats. Raises `BudgetExhausted` when the daily budget is spent,
    `ApiAuthError` when the key is missing or refused, `ApiFetchError` when a request keeps failing; in every
    case the pages fetched so far are kept and the next call resumes.
    """
    if not settings.api_key:
        raise ApiAuthError("OPENALEX_API_KEY is not set: the OpenAlex API needs a (free) key since 2026-02-13, "
                           "see https://openalex.org/settings/api")
    if progress is None:
        progress = os.environ.get(PROGRESS_ENV, "1").strip().lower() not in ("0", "false", "no", "off")
    client = OpenAlexClient(
        settings.api_url, settings.api_key, settings.email, timeout=timeout,
        max_attempts=max_attempts, retry_wait=retry_wait, max_retry_after=max_retry_after, sleep=sleep, warn=log.warning,
    )
    try:
        run = _Fetch(settings, log, client, scope=scope or StudyScope.from_dbt(), per_page=per_page, part_size=part_size,
                     progress=progress, on_event=on_event)
        return run.run()
    finally:
        client.close()
