"""The `api` source of the raw layer: OpenAlex fetched through the real pyalex client, landed as a snapshot.

`fetch(settings, log)` writes `<raw_dir>/api/` in the 2026 snapshot layout the loader reads, and returns it:

    data/jsonl/{works,institutions,funders}/updated_date=<fetch date>/part_NNNN.gz   JSON lines, one record each
    manifest.json       {"entries": [{url, meta: {record_count, content_length, sha256}}], "fetch": {...}}
    work_counts.jsonl   {scope, publication_year, works_count, query, fetched_at} — the denominators

What is fetched
---------------
1. **Works**: full records of AI works with at least one European and at least one Chinese institution.
   OpenAlex cannot OR two different attributes, so there is one cursor-paged query per part of the AI
   definition (`concepts.id:C154945302`, `topics.subfield.id:1702`); the two are merged and deduplicated by
   id. Europe is ONE OR-filter over the 32 countries (`authorships.institutions.country_code:AT|BE|…`) and
   China the same attribute again (`…country_code:CN`): OpenAlex ANDs a repeated filter. A pyalex filter is
   a dict, which cannot hold a key twice, so the repeat is written in pyalex's nested form
   (`authorships={"institutions": {"country_code": "CN"}}`): same attribute on the wire.
   All filters go through `filter_or`, so every list in them is an OR (`|`); separate attributes are ANDed.
2. **Denominators**: `group_by=publication_year` counts of AI works for Europe (one OR-filter, so a DE+FR
   work counts once), for CN and for each European country. Per scope, AI = concept OR subfield is counted
   exactly as count(concept) + count(subfield) − count(concept AND subfield): three group_by calls.
3. **Entities**: institution records for every institution id on the fetched works and every id in their
   `lineage` (then the lineage of what came back, until closed), and funder records for every funder id
   (`grants[].funder`, `funders[].id`, `awards[].funder_id`), in batches of ≤ 100 ids (`openalex_id:I1|I2|…`).
   Ids OpenAlex does not return (merged or deleted) are listed in the manifest as missing.

Scope filters
-------------
Works *and* counts carry the study scope: `publication_year:<study_start_year>-<study_end_year>`,
`language:<study_language>`, `is_retracted:false`, `is_paratext:false` (years and language from the dbt vars
in dbt/dbt_project.yml). The counts cannot be re-filtered later, so they must carry the scope; giving the
works the same filters keeps numerator and denominator from one population (staging re-applying the scope is
then a no-op) and saves requests. The filters are recorded in manifest.json and in each work_counts row.
Consequence: definitions wider than the defaults (the `broad` AI variant with subfield 1707, another
language, other years) need a new fetch; narrower ones (concept only, topic only, a smaller Europe) can be
computed from the fetched works, but work_counts holds the default-definition denominators only.

Robustness
----------
* HTTP: pyalex's own retries (`config.max_retries`, `retry_backoff_factor`, `retry_http_codes`) run in a
  `requests` adapter mounted for https://api.openalex.org/ that also sets a timeout (pyalex sets none),
  honours Retry-After, and refuses to sleep longer than `max_retry_after` seconds.
* A loop around every call retries what escapes pyalex (truncated bodies / ChunkedEncodingError, non-JSON
  bodies, timeouts, connection resets, exhausted 429/5xx) with backoff; pyalex does not advance the cursor
  when a page fails, so the same page is asked for again.
* A spent daily budget (429 with a long Retry-After, an exhausted X-RateLimit-Remaining, or a message about
  the daily budget) raises `BudgetExhausted` at once instead of sleeping until midnight.
* Resumable: each page is written to `<raw_dir>/api/.checkpoint/` (temp file + rename) before its cursor is
  saved; a killed run resumes from the last saved cursor and rewrites the page it may have half-done, so the
  result equals an uninterrupted run's. A finished fetch is built in `.staging/` and swapped in (with a commit
  marker, so a crash mid-swap is rolled forward by the next run); the checkpoint is deleted only then.
* The API key goes only into `pyalex.config.api_key`, which pyalex sends as an `Authorization: Bearer`
  header (never in the URL). It is not written to any file, log line or exception message (messages are
  redacted all the same).

Stats (records, pages, requests, retries, bytes, schema eras, duration) are returned by `last_fetch_stats()`
and written to manifest.json under `fetch.stats`.

`OPENALEX_API_URL` (default https://api.openalex.org) points the fetch at another server, e.g. the local
stand-in of the tests: pyalex 0.21 hard-codes the host, so the adapter rewrites each request's URL.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pyalex
import requests
import yaml
from pyalex import api as pyalex_api
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from tqdm import tqdm
from urllib3.util.retry import Retry

from ..settings import DBT_PROJECT_DIR, Settings

OPENALEX_URL = "https://api.openalex.org"
API_URL_ENV = "OPENALEX_API_URL"
PROGRESS_ENV = "OPENALEX_PROGRESS"  # "0" turns the progress bars off
# Europe by the study's default definition (europe_eu27_uk_efta): EU27 + GB + NO + CH + IS + LI, as OpenAlex
# writes them (GB not UK, GR not EL).
EUROPE = tuple(sorted(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB NO CH IS LI".split()
))
CHINA = "CN"
COUNTRY_FILTER = "authorships.institutions.country_code"
PER_PAGE = 200  # the API's maximum
ID_BATCH = 100  # the API's maximum of OR values in one filter
PART_SIZE = 50_000  # records per part file
TIMEOUT = (10.0, 60.0)  # connect, read (seconds)
MAX_RETRY_AFTER_S = 120.0  # a 429 asking to wait longer than this is a spent budget, not a burst
MAX_ATTEMPTS = 6  # per call, on top of pyalex's own retries
RETRY_WAIT_S = 2.0  # first backoff of the outer loop; doubles, capped at 60 s
PYALEX_MAX_RETRIES = 5
PYALEX_BACKOFF = 0.5
PYALEX_RETRY_CODES = [429, 500, 502, 503, 504]
ENTITY_ROUNDS = 5  # lineage closure: rounds of "fetch the ancestors of what came back"
RESUME_MAX_AGE = timedelta(days=7)  # an older checkpoint is dropped: the data would mix weeks
CHECKPOINT_VERSION = 1
LANDED = ("data", "manifest.json", "work_counts.jsonl")  # what a fetch replaces under <raw_dir>/api

_ID = re.compile(r"^[A-Z][0-9]+$")
_BUDGET_WORDS = re.compile(r"daily|budget|per day|credits|quota", re.I)
_LAST_STATS: dict = {}


class ApiFetchError(RuntimeError):
    """The fetch stopped; what was fetched is checkpointed and the next run resumes."""


class BudgetExhausted(ApiFetchError):
    """OpenAlex's daily budget for this API key is spent."""


class ApiAuthError(ApiFetchError):
    """The API key is missing or was refused."""


class QueryRejected(ApiFetchError):
    """OpenAlex answered 400 to a query (bad filter, or a cursor it no longer accepts)."""


def last_fetch_stats() -> dict:
    """Stats of the last fetch that finished in this process (also in manifest.json under fetch.stats)."""
    return json.loads(json.dumps(_LAST_STATS))


# --- what to fetch ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    name: str
    entity: str  # works | institutions | funders
    filters: tuple[tuple[str, object], ...]

    def build(self):
        """A fresh pyalex query. Lists are ORs; a repeated attribute goes in nested form (ANDed by OpenAlex)."""
        cls = {"works": pyalex.Works, "institutions": pyalex.Institutions, "funders": pyalex.Funders}[self.entity]
        spec: dict[str, object] = {}
        for key, value in self.filters:
            value = list(value) if isinstance(value, (list, tuple)) else value
            if key not in spec:
                spec[key] = value
                continue
            head, *rest = key.split(".")
            if head in spec or not rest:
                raise ValueError(f"filter {key} is repeated more than once")
            nested: object = value
            for part in reversed(rest):
                nested = {part: nested}
            spec[head] = nested
        return cls().filter_or(**spec)

    @property
    def filter_string(self) -> str:
        """The `filter=` value pyalex sends, decoded."""
        return parse_qs(urlsplit(self.build().url).query)["filter"][0]


@dataclass(frozen=True)
class CountQuery:
    scope: str  # EUROPE | CN | ISO2
    part: str  # concept | subfield | both
    query: Query

    @property
    def key(self) -> str:
        return f"{self.scope}|{self.part}"


@dataclass(frozen=True)
class StudyScope:
    start_year: int = 2017
    end_year: int = 2022
    language: str | None = "en"
    ai_concept: str = "C154945302"
    ai_subfield: str = "1702"
    europe: tuple[str, ...] = EUROPE

    @classmethod
    def from_dbt(cls, project_file: Path = DBT_PROJECT_DIR / "dbt_project.yml") -> "StudyScope":
        """The study's years, language and AI ids, from the dbt vars (one place for every layer)."""
        vars_ = (yaml.safe_load(project_file.read_text()) or {}).get("vars") or {} if project_file.is_file() else {}
        d = cls()
        return cls(
            start_year=int(vars_.get("study_start_year", d.start_year)),
            end_year=int(vars_.get("study_end_year", d.end_year)),
            language=vars_.get("study_language", d.language) or None,
            ai_concept=str(vars_.get("ai_concept_id", d.ai_concept)),
            ai_subfield=str(vars_.get("ai_subfield_id", d.ai_subfield)),
        )

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def common_filters(self) -> list[tuple[str, object]]:
        filters: list[tuple[str, object]] = [("publication_year", f"{self.start_year}-{self.end_year}")]
        if self.language:
            filters.append(("language", self.language))
        return filters + [("is_retracted", False), ("is_paratext", False)]

    def ai_parts(self) -> dict[str, list[tuple[str, object]]]:
        concept = ("concepts.id", self.ai_concept)
        subfield = ("topics.subfield.id", self.ai_subfield)
        return {"concept": [concept], "subfield": [subfield], "both": [concept, subfield]}

    def works_queries(self) -> list[Query]:
        parts = self.ai_parts()
        return [
            Query(f"ai_{part}", "works", tuple(
                parts[part] + self.common_filters() + [(COUNTRY_FILTER, self.europe), (COUNTRY_FILTER, CHINA)]
            ))
            for part in ("concept", "subfield")
        ]

    def scopes(self) -> list[tuple[str, object]]:
        return [("EUROPE", self.europe), ("CN", CHINA)] + [(c, c) for c in self.europe]

    def count_queries(self) -> list[CountQuery]:
        parts = self.ai_parts()
        return [
            CountQuery(scope, part, Query(f"counts_{scope}_{part}", "works",
                                          tuple(parts[part] + self.common_filters() + [(COUNTRY_FILTER, value)])))
            for scope, value in self.scopes()
            for part in ("concept", "subfield", "both")
        ]

    def counts_query_text(self, scope_value) -> str:
        """The `query` of a work_counts row: the filters and how concept OR subfield was counted."""
        common = ",".join(f"{k}:{_filter_value(v)}" for k, v in self.common_filters() + [(COUNTRY_FILTER, scope_value)])
        return (f"group_by=publication_year; filter={common}; AI = concepts.id:{self.ai_concept} OR "
                f"topics.subfield.id:{self.ai_subfield}, counted as concept + subfield - (concept AND subfield)")

    def describe(self) -> dict:
        return {
            "years": [self.start_year, self.end_year], "language": self.language, "is_retracted": False,
            "is_paratext": False, "ai": {"concepts.id": self.ai_concept, "topics.subfield.id": self.ai_subfield},
            "europe": list(self.europe), "china": CHINA,
        }


def _filter_value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "|".join(value)
    return str(value)


# --- HTTP: pyalex's session, with a timeout, a host rewrite and a budget-aware retry ---------------------

@dataclass
class _Stats:
    responses: int = 0
    bytes_downloaded: int = 0
    http_retries: int = 0  # done inside pyalex's adapter (urllib3)
    loop_retries: int = 0  # done by the fetch loop around pyalex
    statuses: Counter = field(default_factory=Counter)

    def on_response(self, r, *args, **kwargs):
        self.responses += 1
        self.statuses[str(r.status_code)] += 1
        self.bytes_downloaded += len(r.content)

    def as_dict(self) -> dict:
        return {"responses": self.responses, "bytes_downloaded": self.bytes_downloaded, "http_retries": self.http_retries,
                "loop_retries": self.loop_retries, "statuses": dict(self.statuses)}



def _retry_after_seconds(headers) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return Retry(retry_after_max=10**9).parse_retry_after(str(value))
    except Exception:
        return None


def _budget_reason(status: int, headers, body: str | None, max_retry_after: float) -> str | None:
    """Why a response means the daily budget is spent, or None."""
    if status != 429:
        return None
    wait = _retry_after_seconds(headers)
    if wait is not None and wait > max_retry_after:
        return f"HTTP 429 asking to wait {wait:.0f} s (longer than {max_retry_after:.0f} s)"
    remaining = (headers or {}).get("X-RateLimit-Remaining")
    try:
        spent = remaining is not None and float(remaining) <= 0
    except ValueError:
        spent = False
    if spent and wait is None:
        return "HTTP 429 with X-RateLimit-Remaining: 0"
    if body:
        try:
            doc = json.loads(body)
            text = " ".join(str(doc.get(k, "")) for k in ("error", "message")) if isinstance(doc, dict) else body
        except ValueError:
            text = body
        if _BUDGET_WORDS.search(text):
            return f"HTTP 429: {text.strip()[:200]}"
    return None


class _BudgetAwareRetry(Retry):
    """pyalex's retry policy that will not sleep until the budget resets: it raises BudgetExhausted."""

    max_retry_after: float = MAX_RETRY_AFTER_S
    stats: _Stats | None = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.max_retry_after, retry.stats = self.max_retry_after, self.stats
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if response is not None and response.status == 429:
            try:  # a 429 body is small; reading it here means a budget message is seen before any retry
                body = response.data.decode("utf-8", "replace")[:4000]
            except Exception:
                body = None
            reason = _budget_reason(response.status, response.headers, body, self.max_retry_after)
            if reason:
                response.drain_conn()
                raise BudgetExhausted(reason)
        if self.stats is not None:
            self.stats.http_retries += 1
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


class _OpenAlexAdapter(HTTPAdapter):
    """Sets a timeout on every request and, when OPENALEX_API_URL points elsewhere, sends it there."""

    def __init__(self, base_url: str, timeout, **kw):
        self.base_url, self.timeout = base_url, timeout
        super().__init__(**kw)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if self.base_url != OPENALEX_URL and request.url.startswith(OPENALEX_URL + "/"):
            request.url = self.base_url + request.url[len(OPENALEX_URL):]
            # The environment's proxies were picked for api.openalex.org; pick them again for the new host.
            proxies = {} if _is_loopback(request.url) else get_environ_proxies(request.url)
        return super().send(request, stream=stream, timeout=timeout or self.timeout, verify=verify, cert=cert, proxies=proxies)


@contextmanager
def _pyalex_configured(settings: Settings, base_url: str, timeout, stats: _Stats, max_retry_after: float, max_retries: int,
                       backoff: float):
    """Configure pyalex (key, email, retries) and its session factory for the fetch; restore both after."""
    saved_config = dict(pyalex.config)
    original_factory = pyalex_api._get_requests_session

    def session_factory():
        session = original_factory()  # pyalex's own session
        retry = _BudgetAwareRetry(
            total=pyalex.config.max_retries, backoff_factor=pyalex.config.retry_backoff_factor,
            status_forcelist=pyalex.config.retry_http_codes, allowed_methods={"GET"}, raise_on_status=False,
            respect_retry_after_header=True, backoff_max=30,
        )
        retry.max_retry_after, retry.stats = max_retry_after, stats
        adapter = _OpenAlexAdapter(base_url, timeout, max_retries=retry)
        session.mount(OPENALEX_URL + "/", adapter)
        if base_url != OPENALEX_URL:
            session.mount(base_url + "/", adapter)
        session.hooks["response"].append(stats.on_response)
        return session

    pyalex.config.api_key = settings.api_key
    pyalex.config.email = settings.email
    pyalex.config.max_retries = max_retries
    pyalex.config.retry_backoff_factor = backoff
    pyalex.config.retry_http_codes = list(PYALEX_RETRY_CODES)
    pyalex_api._get_requests_session = session_factory
    try:
        yield
    finally:
        pyalex_api._get_requests_session = original_factory
        pyalex.config.clear()
        pyalex.config.update(saved_config)


# --- files -----------------------------------------------------------------------------------------------

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_write_json(path: Path, doc, pretty: bool = False) -> None:
    text = json.dumps(doc, indent=1) if pretty else json.dumps(doc, separators=(",", ":"))
    _atomic_write_bytes(path, text.encode())


def _write_page(path: Path, records) -> int:
    lines = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    data = gzip.compress(lines.encode("utf-8"), compresslevel=1)
    _atomic_write_bytes(path, data)
    return len(data)


def _read_page(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line if line.endswith("\n") else line + "\n"


def short_id(value) -> str | None:
    """`https://openalex.org/I123` -> `I123`; anything that is not an OpenAlex id -> None."""
    if not isinstance(value, str):
        return None
    tail = value.rstrip("/").rsplit("/", 1)[-1].upper()
    return tail if _ID.match(tail) else None


def schema_era(rec: dict) -> str:
    """The OpenAlex schema era of a work record (same rule as the raw asset's metadata)."""
    if rec.get("host_venue") is not None:
        return "2021_host_venue"
    grants = rec.get("grants") is not None
    newer = rec.get("funders") is not None or rec.get("awards") is not None
    if grants and newer:
        return "grants_funders_awards"
    if grants:
        return "grants"
    return "funders_awards" if newer else "unknown"


class _PartWriter:
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
        self._close()
        out = []
        for f in self.files:
            path: Path = f["path"]
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            digest = digest.hexdigest()
            out.append({"url": path.relative_to(self.base).as_posix(), "entity": self.entity, "records": f["records"],
                        "bytes": path.stat().st_size, "sha256": digest})
        return out


class _Checkpoint:
    """Cursors and pages of an unfinished fetch, under `<raw_dir>/api/.checkpoint/`."""

    def __init__(self, directory: Path, state: dict):
        self.dir, self.state = directory, state

    @classmethod
    def open(cls, directory: Path, fingerprint: str, plan: dict, log) -> "_Checkpoint":
        state_file = directory / "state.json"
        if state_file.is_file():
            try:
                state = json.loads(state_file.read_text())
            except ValueError:
                state = {}
            started = state.get("started_at")
            age = datetime.now(timezone.utc) - datetime.fromisoformat(started) if started else None
            if state.get("version") != CHECKPOINT_VERSION or state.get("fingerprint") != fingerprint:
                log.warning(f"Dropping the checkpoint in {directory}: it belongs to a different fetch plan")
            elif age is None or age > RESUME_MAX_AGE:
                log.warning(f"Dropping the checkpoint in {directory}: started {started}, older than {RESUME_MAX_AGE.days} days")
            else:
                state["runs"] = int(state.get("runs", 1)) + 1
                log.info(f"Resuming the API fetch started {started} (run {state['runs']}) from {directory}")
                ck = cls(directory, state)
                ck.save()
                return ck
            shutil.rmtree(directory, ignore_errors=True)
        now = datetime.now(timezone.utc)
        state = {
            "version": CHECKPOINT_VERSION, "fingerprint": fingerprint,
            "started_at": now.isoformat(timespec="seconds"), "fetch_date": now.date().isoformat(), "runs": 1,
            "works": {}, "counts": {}, "entities": {}, "stats": {}, "durations": {},
        }
        ck = cls(directory, state)
        _atomic_write_json(directory / "plan.json", plan, pretty=True)  # for people: what this checkpoint fetches
        ck.save()
        return ck

    @property
    def resumed(self) -> bool:
        return int(self.state.get("runs", 1)) > 1

    def save(self) -> None:
        _atomic_write_json(self.dir / "state.json", self.state)

    def page(self, *parts: str) -> Path:
        return self.dir.joinpath("pages", *parts)


@contextmanager
def _exclusive(lock_file: Path):
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApiFetchError(f"another API fetch is running on {lock_file.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _swap_in(staging: Path, root: Path) -> None:
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


# --- the fetch -------------------------------------------------------------------------------------------

class _Fetch:
    def __init__(self, settings: Settings, log, *, scope: StudyScope, base_url: str, per_page: int, part_size: int,
                 timeout, max_attempts: int, retry_wait: float, max_retry_after: float, max_retries: int,
                 retry_backoff: float, progress: bool, on_event: Callable[[str, dict], None] | None, sleep: Callable[[float], None]):
        self.settings, self.log, self.scope, self.base_url = settings, log, scope, base_url
        self.per_page, self.part_size, self.timeout = per_page, part_size, timeout
        self.max_attempts, self.retry_wait, self.max_retry_after = max_attempts, retry_wait, max_retry_after
        self.max_retries, self.retry_backoff = max_retries, retry_backoff
        self.progress, self.on_event, self.sleep = progress, on_event, sleep
        self.root = settings.raw_dir / "api"
        self.stats = _Stats()
        self.key = settings.api_key or ""
        self.ck: _Checkpoint | None = None

    # helpers
    def redact(self, text) -> str:
        text = str(text)
        return text.replace(self.key, "<redacted>") if self.key else text

    def info(self, msg: str) -> None:
        self.log.info(self.redact(msg))

    def warning(self, msg: str) -> None:
        self.log.warning(self.redact(msg))

    def event(self, name: str, **info) -> None:
        if self.on_event:
            self.on_event(name, info)

    def bar(self, **kw):
        return tqdm(file=sys.stderr, disable=not self.progress, dynamic_ncols=True, mininterval=0.5, **kw)

    def resumable(self, msg: str) -> str:
        return self.redact(f"{msg}. What was fetched is checkpointed in {self.root / '.checkpoint'}: run the fetch again "
                           "and it resumes where it stopped")

    def save(self) -> None:
        self.ck.state["stats"]["this_run"] = self.stats.as_dict()
        self.ck.save()

    def plan(self) -> dict:
        return {
            "base_url": self.base_url, "per_page": self.per_page, "scope": self.scope.describe(),
            "works_queries": [{"name": q.name, "filter": q.filter_string} for q in self.scope.works_queries()],
            "count_queries": [{"scope": c.scope, "part": c.part, "filter": c.query.filter_string} for c in self.scope.count_queries()],
        }

    def call(self, what: str, fn: Callable[[], object]):
        """One pyalex call, retried on what escapes pyalex's own retries."""
        reason = "unknown"
        for attempt in range(1, self.max_attempts + 1):
            wait = min(60.0, self.retry_wait * 2 ** (attempt - 1))
            try:
                return fn()
            except BudgetExhausted as exc:
                raise BudgetExhausted(self.resumable(
                    f"OpenAlex daily budget exhausted ({exc}) while fetching {what}; try again after it resets "
                    "(midnight UTC)")) from None
            except pyalex_api.QueryError as exc:
                if "API key" in str(exc):
                    raise ApiAuthError(self.redact(f"OpenAlex refused the API key while fetching {what} ({exc})")) from None
                raise QueryRejected(self.redact(f"OpenAlex rejected the query for {what}: {exc}")) from None
            except requests.HTTPError as exc:
                resp = exc.response
                status = resp.status_code if resp is not None else 0
                body = resp.text if resp is not None else ""
                budget = _budget_reason(status, resp.headers if resp is not None else {}, body, self.max_retry_after)
                if budget:
                    raise BudgetExhausted(self.resumable(
                        f"OpenAlex daily budget exhausted ({budget}) while fetching {what}; try again after it resets "
                        "(midnight UTC)")) from None
                rate_limited = status == 403 and re.search(r"rate limit", body, re.I)
                if status == 401 or (status == 403 and not rate_limited):
                    raise ApiAuthError(self.redact(f"OpenAlex refused the request for {what}: HTTP {status} "
                                                   f"({body[:200]}). Check OPENALEX_API_KEY")) from None
                if not (status in (408, 429) or status >= 500 or rate_limited):
                    raise ApiFetchError(self.redact(f"OpenAlex answered HTTP {status} for {what}: {body[:300]}")) from None
                reason = f"HTTP {status}"
                retry_after = _retry_after_seconds(resp.headers if resp is not None else None)
                if retry_after is not None:
                    wait = max(retry_after, 0.0)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError, requests.exceptions.RetryError, ValueError) as exc:
                # ValueError: a body that is not JSON (JSONDecodeError) or not an OpenAlex answer.
                reason = type(exc).__name__
            if attempt == self.max_attempts:
                break
            self.stats.loop_retries += 1
            self.warning(f"{what}: {reason}; retrying in {wait:.1f} s (attempt {attempt + 1}/{self.max_attempts})")
            self.sleep(wait)
        raise ApiFetchError(self.resumable(f"Gave up on {what} after {self.max_attempts} attempts (last: {reason})"))

    # phases
    def run(self) -> Path:
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        with _exclusive(self.root / ".lock"):
            staging = self.root / ".staging"
            if (staging / "COMMITTED").is_file():
                self.info("Finishing the swap-in of the previous fetch that stopped half-way")
                _swap_in(staging, self.root)
                shutil.rmtree(self.root / ".checkpoint", ignore_errors=True)
            elif staging.exists():
                shutil.rmtree(staging)
            plan = self.plan()
            fingerprint = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()
            self.ck = _Checkpoint.open(self.root / ".checkpoint", fingerprint, plan, self.log)
            prior = self.ck.state["stats"].get("total_before_this_run") or {}
            prior = _merge_stats(prior, self.ck.state["stats"].get("this_run") or {})
            self.ck.state["stats"] = {"total_before_this_run": prior, "this_run": {}}
            self.info(f"OpenAlex API fetch from {self.base_url}: {len(plan['works_queries'])} works queries, "
                      f"{len(plan['count_queries'])} group_by counts, years {self.scope.start_year}-{self.scope.end_year}")
            with _pyalex_configured(self.settings, self.base_url, self.timeout, self.stats, self.max_retry_after,
                                    self.max_retries, self.retry_backoff):
                self.timed("works", self.fetch_works)
                self.timed("work_counts", self.fetch_counts)
                self.timed("entities", self.fetch_entities)
            stats = self.land(staging, prior, time.monotonic() - started)
        global _LAST_STATS
        _LAST_STATS = stats
        return self.root

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
            if st["done"]:
                continue
            pager = q.build().paginate(method="cursor", cursor=st["cursor"], per_page=self.per_page, n_max=None)
            bar = self.bar(total=st["meta_count"], initial=st["records"], unit="rec", desc=f"works {q.name}")
            restarted = False
            try:
                while True:
                    try:
                        page = self.call(f"works {q.name} page {st['pages'] + 1}", lambda: next(pager, None))
                    except QueryRejected:
                        if st["cursor"] in ("*", None) or restarted:
                            raise
                        # A resumed cursor the API no longer accepts: this query starts again (its pages are rewritten).
                        self.warning(f"works {q.name}: OpenAlex rejected the saved cursor; restarting this query from its first page")
                        self.ck.state["works"][q.name] = st = dict(st, cursor="*", pages=0, records=0, bytes=0, meta_count=None)
                        self.save()
                        restarted = True
                        pager = q.build().paginate(method="cursor", cursor="*", per_page=self.per_page, n_max=None)
                        bar.reset(total=None)
                        continue
                    if page is None:
                        break
                    if st["meta_count"] is None:
                        st["meta_count"] = int(page.meta.get("count") or 0)
                        bar.total = st["meta_count"]
                    new = dict(st, cursor=page.meta.get("next_cursor"))
                    if len(page):
                        path = self.ck.page("works", q.name, f"page_{st['pages']:05d}.jsonl.gz")
                        size = _write_page(path, page)
                        self.event("page_written", entity="works", query=q.name, page=st["pages"], path=path)
                        new.update(pages=st["pages"] + 1, records=st["records"] + len(page), bytes=st["bytes"] + size)
                    # One assignment: the state never holds a page without its cursor, whatever interrupts us.
                    self.ck.state["works"][q.name] = st = new
                    self.save()
                    self.event("page_saved", entity="works", query=q.name, page=st["pages"] - 1, records=st["records"])
                    bar.update(len(page))
                    bar.set_postfix(pages=st["pages"], refresh=False)
                    if st["cursor"] is None:
                        break
            finally:
                bar.close()
            st["done"] = True
            self.save()
            if st["meta_count"] is not None and st["records"] != st["meta_count"]:
                self.warning(f"works {q.name}: fetched {st['records']} records but meta.count said {st['meta_count']} "
                             "(OpenAlex changed during the fetch?)")
            self.info(f"works {q.name}: {st['records']} records in {st['pages']} pages (meta.count {st['meta_count']})")

    def fetch_counts(self) -> None:
        queries = self.scope.count_queries()
        done = self.ck.state["counts"]
        todo = [c for c in queries if c.key not in done]
        bar = self.bar(total=len(queries), initial=len(queries) - len(todo), unit="query", desc="work counts")
        try:
            for cq in todo:
                result = self.call(f"work counts {cq.scope} ({cq.part})",
                                   lambda cq=cq: cq.query.build().group_by("publication_year").get())
                groups = {}
                for g in result:
                    try:
                        groups[str(int(g["key"]))] = int(g["count"])
                    except (TypeError, ValueError):
                        continue  # "unknown" year
                done[cq.key] = {"filter": cq.query.filter_string, "groups": groups,
                                "meta_count": (result.meta or {}).get("count"), "fetched_at": _now()}
                self.save()
                self.event("count_saved", key=cq.key)
                bar.update(1)
        finally:
            bar.close()
        self.info(f"work counts: {len(queries)} group_by queries for {len(self.scope.scopes())} scopes")

    def _works_lines(self):
        for q in self.scope.works_queries():
            st = self.ck.state["works"][q.name]
            for i in range(st["pages"]):
                yield from _read_page(self.ck.page("works", q.name, f"page_{i:05d}.jsonl.gz"))

    def referenced_ids(self) -> tuple[set[str], set[str]]:
        institutions: set[str] = set()
        funders: set[str] = set()
        for line in self._works_lines():
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
        if all(state.get(e, {}).get("done") for e in ("institutions", "funders")):
            return
        institutions, funders = self.referenced_ids()
        for entity, wanted in (("institutions", institutions), ("funders", funders)):
            est = state.setdefault(entity, {"rounds": [], "done": False})
            if est["done"]:
                continue
            requested: set[str] = set()
            received: set[str] = set()
            next_ids = set(wanted)
            r = 0
            while r < ENTITY_ROUNDS:
                ids_file = self.ck.page(entity, f"round_{r}_ids.json")
                if r < len(est["rounds"]):
                    ids = json.loads(ids_file.read_text())
                else:
                    ids = sorted(next_ids - requested)
                    if not ids:
                        break
                    _atomic_write_json(ids_file, ids)
                    est["rounds"].append({"ids": len(ids), "batches_done": 0, "received": 0})
                    self.save()
                rnd = est["rounds"][r]
                batches = [ids[k:k + ID_BATCH] for k in range(0, len(ids), ID_BATCH)]
                bar = self.bar(total=len(ids), initial=min(len(ids), rnd["batches_done"] * ID_BATCH), unit="id",
                               desc=f"{entity} round {r}")
                try:
                    for b in range(rnd["batches_done"], len(batches)):
                        batch = batches[b]
                        cls = pyalex.Institutions if entity == "institutions" else pyalex.Funders
                        result = self.call(f"{entity} batch {b + 1}/{len(batches)}",
                                           lambda batch=batch, cls=cls: cls().filter_or(openalex_id=batch).get(per_page=len(batch)))
                        _write_page(self.ck.page(entity, f"round_{r}_batch_{b:05d}.jsonl.gz"), result)
                        rnd["batches_done"] = b + 1
                        rnd["received"] += len(result)
                        self.save()
                        bar.update(len(batch))
                finally:
                    bar.close()
                requested.update(ids)
                next_ids = set()
                for b in range(len(batches)):
                    for line in _read_page(self.ck.page(entity, f"round_{r}_batch_{b:05d}.jsonl.gz")):
                        rec = json.loads(line)
                        received.add(short_id(rec.get("id")) or "")
                        if entity == "institutions":
                            next_ids.update(filter(None, (short_id(x) for x in rec.get("lineage") or [])))
                next_ids -= requested | received
                r += 1
            est["requested"] = len(requested)
            est["missing"] = sorted(requested - received)
            est["done"] = True
            self.save()
            if est["missing"]:
                self.warning(f"{entity}: {len(est['missing'])} of {len(requested)} referenced ids were not returned "
                             f"(merged or deleted in OpenAlex), e.g. {', '.join(est['missing'][:5])}")
            self.info(f"{entity}: {len(requested) - len(est['missing'])} records for {len(requested)} referenced ids")

    def land(self, staging: Path, prior: dict, run_seconds: float) -> dict:
        """Build the complete new fetch in .staging, then swap it in."""
        date = self.ck.state["fetch_date"]
        files: list[dict] = []
        counts: dict[str, int] = {}
        eras: Counter = Counter()
        fetched_works = 0
        for entity in ("works", "institutions", "funders"):  # an empty result must replace old files too
            (staging / "data" / "jsonl" / entity).mkdir(parents=True, exist_ok=True)
        writer = _PartWriter(staging, "works", date, self.part_size)
        seen: set[str] = set()
        for line in self._works_lines():
            fetched_works += 1
            rec = json.loads(line)
            if rec.get("id") in seen:
                continue
            seen.add(rec.get("id"))
            eras[schema_era(rec)] += 1
            writer.write(line)
        files += writer.close()
        counts["works"] = len(seen)
        for entity in ("institutions", "funders"):
            writer = _PartWriter(staging, entity, date, self.part_size)
            seen = set()
            for path in sorted(self.ck.page(entity).glob("round_*_batch_*.jsonl.gz"), key=lambda p: p.name):
                for line in _read_page(path):
                    rid = json.loads(line).get("id")
                    if rid not in seen:
                        seen.add(rid)
                        writer.write(line)
            files += writer.close()
            counts[entity] = len(seen)
        rows = self.work_counts_rows()
        lines = "".join(json.dumps(r) + "\n" for r in rows)
        (staging / "work_counts.jsonl").write_text(lines)

        state = self.ck.state
        total = _merge_stats(prior, self.stats.as_dict())
        durations = state.get("durations", {})
        works_pages = sum(st["pages"] for st in state["works"].values())
        stats = {
            "records": counts, "work_counts_rows": len(rows),
            "works_fetched": fetched_works, "works_duplicates_dropped": fetched_works - counts["works"],
            "pages": {"works": works_pages,
                      **{e: sum(r["batches_done"] for r in state["entities"][e]["rounds"]) for e in ("institutions", "funders")},
                      "work_counts": len(state["counts"])},
            "requests": total["responses"], "retries": {"http": total["http_retries"], "fetch_loop": total["loop_retries"]},
            "http_statuses": total["statuses"], "bytes_downloaded": total["bytes_downloaded"],
            "bytes_written": sum(f["bytes"] for f in files) + len(lines.encode()),
            "schema_eras": dict(sorted(eras.items())),
            "missing": {e: len(state["entities"][e].get("missing", [])) for e in ("institutions", "funders")},
            "meta_count_mismatches": [n for n, st in state["works"].items() if st["meta_count"] not in (None, st["records"])],
            "duration_s": round(sum(durations.values()), 2), "duration_this_run_s": round(run_seconds, 2),
            "phase_durations_s": durations,
            "works_records_per_s": round(fetched_works / durations["works"], 1) if durations.get("works") else None,
            "runs": int(state.get("runs", 1)), "resumed": self.ck.resumed,
        }
        fetch_doc = {
            "source": f"OpenAlex API via pyalex {getattr(pyalex, '__version__', '?')}",
            "base_url": self.base_url, "started_at": state["started_at"], "fetched_at": _now(), "fetch_date": date,
            "scope": self.scope.describe(), "per_page": self.per_page,
            "queries": [{"name": n, "entity": "works", "filter": st["filter"], "pages": st["pages"], "records": st["records"],
                         "meta_count": st["meta_count"]} for n, st in state["works"].items()],
            "work_counts": {"method": "group_by=publication_year; AI = concept + subfield - (concept AND subfield)",
                            "queries": [{"key": k, "filter": v["filter"], "groups": v["groups"], "fetched_at": v["fetched_at"]}
                                        for k, v in state["counts"].items()]},
            "entities": {e: {"requested": state["entities"][e].get("requested", 0), "received": counts[e],
                             "rounds": len(state["entities"][e]["rounds"]), "missing": state["entities"][e].get("missing", [])}
                         for e in ("institutions", "funders")},
            "files": [{k: f[k] for k in ("url", "entity", "records", "bytes", "sha256")} for f in files],
            "schema_eras": stats["schema_eras"], "stats": stats,
        }
        manifest = {
            "entries": [{"url": f["url"], "meta": {"record_count": f["records"], "content_length": f["bytes"], "sha256": f["sha256"]}}
                        for f in files],
            "fetch": fetch_doc,
        }
        _atomic_write_json(staging / "manifest.json", manifest, pretty=True)
        _atomic_write_bytes(staging / "COMMITTED", b"")
        self.event("staged", path=staging)
        _swap_in(staging, self.root)
        shutil.rmtree(self.ck.dir, ignore_errors=True)
        self.info(
            f"OpenAlex API fetch landed in {self.root}: {counts['works']} works ({fetched_works - counts['works']} duplicates "
            f"across queries dropped), {counts['institutions']} institutions, {counts['funders']} funders, {len(rows)} "
            f"work_counts rows; {stats['requests']} requests, {stats['retries']['http'] + stats['retries']['fetch_loop']} "
            f"retries, {stats['bytes_downloaded']} bytes in {stats['duration_s']} s; eras {stats['schema_eras']}"
        )
        return stats

    def work_counts_rows(self) -> list[dict]:
        counts = self.ck.state["counts"]
        rows = []
        for scope, value in self.scope.scopes():
            parts = {p: counts[f"{scope}|{p}"] for p in ("concept", "subfield", "both")}
            fetched_at = max(p["fetched_at"] for p in parts.values())
            query = self.scope.counts_query_text(value)
            for year in self.scope.years:
                c, s, b = (int(parts[p]["groups"].get(str(year), 0)) for p in ("concept", "subfield", "both"))
                n = c + s - b
                if b > min(c, s):
                    self.warning(f"work counts {scope} {year}: concept {c}, subfield {s}, both {b} do not add up "
                                 "(OpenAlex changed between the calls?)")
                rows.append({"scope": scope, "publication_year": year, "works_count": max(n, 0), "query": query,
                             "fetched_at": fetched_at})
        return rows


def _merge_stats(a: dict, b: dict) -> dict:
    keys = ("responses", "bytes_downloaded", "http_retries", "loop_retries")
    out = {k: int(a.get(k) or 0) + int(b.get(k) or 0) for k in keys}
    statuses = Counter(a.get("statuses") or {})
    statuses.update(b.get("statuses") or {})
    out["statuses"] = dict(statuses)
    return out


def base_url_from_env() -> str:
    """OPENALEX_API_URL as scheme://host[:port][/path]: no credentials or query (it is logged and recorded)."""
    parts = urlsplit((os.environ.get(API_URL_ENV) or OPENALEX_URL).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{API_URL_ENV} must be an http(s) URL like https://api.openalex.org")
    host = (f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname) + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


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
    max_retries: int = PYALEX_MAX_RETRIES,
    retry_backoff: float = PYALEX_BACKOFF,
    progress: bool | None = None,
    on_event: Callable[[str, dict], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Fetch the study's works, denominators and entities from the OpenAlex API into `<raw_dir>/api`.

    Returns that folder (the snapshot-layout root the raw asset loads). Raises `BudgetExhausted` when the
    daily budget is spent, `ApiAuthError` when the key is missing or refused, `ApiFetchError` when a call keeps
    failing; in every case the pages fetched so far are kept and the next call resumes.
    """
    if not settings.api_key:
        raise ApiAuthError("OPENALEX_API_KEY is not set: the OpenAlex API needs a (free) key since 2026-02-13, "
                           "see https://openalex.org/settings/api")
    if progress is None:
        progress = os.environ.get(PROGRESS_ENV, "1").strip().lower() not in ("0", "false", "no", "off")
    run = _Fetch(
        settings, log, scope=scope or StudyScope.from_dbt(), base_url=base_url_from_env(), per_page=per_page,
        part_size=part_size, timeout=timeout, max_attempts=max_attempts, retry_wait=retry_wait,
        max_retry_after=max_retry_after, max_retries=max_retries, retry_backoff=retry_backoff, progress=progress, on_event=on_event, sleep=sleep,
    )
    return run.run()
