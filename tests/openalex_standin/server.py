"""A local OpenAlex API stand-in over real HTTP (stdlib ThreadingHTTPServer on 127.0.0.1, random port).

Implements what the `api` source uses: `/works`, `/institutions`, `/funders` with `filter=`, `per-page`,
`cursor=*` paging (`meta.next_cursor`, null once a page comes back empty), `page=` paging (10,000-result
cap), `group_by=` / `group-by=`, `select=`, single-entity lookups (`/works/W123`) and API-key auth
(`Authorization: Bearer <key>` or `api_key=`; anything else is a 401). As OpenAlex does, list pages cut a work's
authorships at 100 and mark it `is_authors_truncated: true` (filters and group_by see that cut copy, as
OpenAlex documents), while `/works/W123` serves the whole record. Faults are injected per test (a fault on
`/works` also hits `/works/W123`; `path="/works/"` hits only those) and every request is logged (never the key)
so tests can count them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from .data import Dataset, list_view
from .filters import FilterError, extract, field_of, norm, parse

ENTITIES = ("works", "institutions", "funders")
FAULT_KINDS = ("429", "budget", "403", "500", "502", "503", "truncate", "bad_json", "slow", "reset")
MAX_PAGING_RESULTS = 10_000


@dataclass
class Fault:
    """Fires on requests whose path starts with `path` (and whose decoded query contains `match`), after
    letting `skip` such requests through, `times` times in a row (None: for ever)."""

    kind: str
    path: str = "/works"
    match: str | None = None
    skip: int = 0
    times: int | None = 1
    retry_after: int | None = 1  # 429 / 503 / budget: the Retry-After header (None: no header)
    delay: float = 3.0  # slow: seconds before answering
    message: str | None = None  # budget: override the 429 message
    rate_limit_headers: bool = True  # budget: send X-RateLimit-* headers
    seen: int = 0
    fired: int = 0

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")

    def take(self, path: str, query: str) -> bool:
        if not path.startswith(self.path) or (self.match and self.match not in query):
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass
class _Index:
    records: list[dict]  # as list pages show them
    blobs: list[bytes]
    ids: list[str]  # normalised short ids ("w123")
    by_id: dict[str, int]
    whole: list[bytes]  # as the single-record endpoint serves them
    columns: dict[str, list] = field(default_factory=dict)
    postings: dict[str, dict[str, set[int]]] = field(default_factory=dict)


def _sort_key(rec: dict) -> tuple[int, str]:
    short = norm(rec.get("id", ""))
    digits = short[1:]
    return (int(digits) if digits.isdigit() else 0, short)


def seconds_to_midnight_utc() -> int:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(3600, int((midnight - now).total_seconds()))


class StandIn:
    def __init__(self, dataset: Dataset, api_key: str | None = "standin-test-key", host: str = "127.0.0.1", port: int = 0):
        self.dataset = dataset
        self.api_key = api_key
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.log: list[dict] = []
        self.records_served = 0
        self._filter_cache: dict[tuple[str, str], list[int]] = {}
        self._index = {entity: self._build_index(dataset.by_entity(entity), list_view if entity == "works" else None)
                       for entity in ENTITIES}
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.app = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandIn:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- test helpers ------------------------------------------------------------------------------------
    def add_fault(self, kind: str, **kw) -> Fault:
        fault = Fault(kind, **kw)
        with self._lock:
            self.faults.append(fault)
        return fault

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.log.clear()
            self.records_served = 0

    def requests(self, path: str | None = None, status: int | None = None) -> list[dict]:
        with self._lock:
            return [r for r in self.log if (path is None or r["path"].startswith(path)) and (status is None or r["status"] == status)]

    def matching(self, entity: str, filter_text: str) -> list[dict]:
        """The records a `filter=` selects, by this server's own filter engine."""
        idx = self._index[entity]
        return [idx.records[i] for i in self._select(entity, filter_text)]

    # --- the API -----------------------------------------------------------------------------------------
    @staticmethod
    def _build_index(records: list[dict], view=None) -> _Index:
        ordered = sorted(records, key=_sort_key)
        whole = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in ordered]
        listed = [view(r) for r in ordered] if view else ordered
        blobs = [b if r is o else json.dumps(r, ensure_ascii=False).encode("utf-8") for r, o, b in zip(listed, ordered, whole, strict=True)]
        ids = [norm(r.get("id", "")) for r in ordered]
        return _Index(listed, blobs, ids, {rid: i for i, rid in enumerate(ids)}, whole)

    def _column(self, entity: str, key: str) -> list:
        idx = self._index[entity]
        col = idx.columns.get(key)
        if col is None:
            col = [extract(entity, key, r) for r in idx.records]
            idx.columns[key] = col
        return col

    def _postings(self, entity: str, key: str) -> dict[str, set[int]]:
        idx = self._index[entity]
        post = idx.postings.get(key)
        if post is None:
            post = {}
            for i, values in enumerate(self._column(entity, key)):
                for v in values or ():
                    post.setdefault(v, set()).add(i)
            idx.postings[key] = post
        return post

    def _select(self, entity: str, filter_text: str) -> list[int]:
        cache_key = (entity, filter_text)
        with self._lock:
            hit = self._filter_cache.get(cache_key)
        if hit is not None:
            return hit
        clauses = parse(entity, filter_text)
        universe = set(range(len(self._index[entity].records)))
        selected = universe
        for clause in clauses:
            selected = selected & clause.select(self._postings(entity, clause.key), universe)
        result = sorted(selected)
        with self._lock:
            self._filter_cache[cache_key] = result
        return result

    def handle(self, h: _Handler) -> None:
        started = time.perf_counter()
        split = urlsplit(h.path)
        path = unquote(split.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        params = {k: v for k, v in pairs if k != "api_key"}
        query_text = "&".join(f"{k}={v}" for k, v in pairs if k != "api_key")
        auth_header = h.headers.get("Authorization") or ""
        key_param = dict(pairs).get("api_key")
        entry = {
            "path": path, "query": query_text, "status": None, "fault": None,
            "bearer": auth_header.startswith("Bearer "), "api_key_param": key_param is not None,
            "from": h.headers.get("From"), "results": 0,
        }
        with self._lock:
            entry["n"] = len(self.log) + 1
            self.log.append(entry)
            fault = next((f for f in self.faults if f.take(path, query_text)), None)
        if self.api_key and auth_header != f"Bearer {self.api_key}" and key_param != self.api_key:
            entry["status"] = 401
            return self._send_json(h, 401, {"error": "API key missing or invalid", "message": "Add a valid API key: https://openalex.org/settings/api"})
        if fault is not None:
            entry["fault"] = fault.kind
            if self._apply_fault(h, fault, entry):
                return
        try:
            status, doc = self._route(path, params)
        except FilterError as exc:
            status, doc = 400, {"error": "Invalid query parameters error.", "message": str(exc)}
        entry["status"] = status
        if isinstance(doc, _Body):
            entry["results"] = 0 if doc.single else len(doc.blobs)
            body = doc.render(round((time.perf_counter() - started) * 1000))
        else:
            body = json.dumps(doc).encode()
        with self._lock:
            self.records_served += entry["results"]
        if fault is not None and fault.kind == "truncate":
            return self._send_truncated(h, status, body)
        self._send(h, status, body)

    def _apply_fault(self, h, fault: Fault, entry: dict) -> bool:
        """Returns True when the fault answered the request itself."""
        kind = fault.kind
        if kind == "slow":
            time.sleep(fault.delay)
            return False
        if kind in ("truncate",):
            return False
        entry["status"] = {"429": 429, "budget": 429, "403": 403, "bad_json": 200, "reset": 0}.get(kind) or int(kind)
        if kind == "reset":
            h.close_connection = True
            return True
        if kind == "bad_json":
            self._send(h, 200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html")
            return True
        headers = {}
        if kind == "budget":
            if fault.rate_limit_headers:
                headers.update({"X-RateLimit-Limit": "1.0", "X-RateLimit-Remaining": "0",
                                "X-RateLimit-Reset": str(seconds_to_midnight_utc())})
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            message = fault.message or "You have used your daily budget of $1.00. It resets at midnight UTC."
            self._send_json(h, 429, {"error": "Rate limit exceeded", "message": message}, headers)
            return True
        if fault.retry_after is not None and kind in ("429", "503"):
            headers["Retry-After"] = str(fault.retry_after)
        messages = {"429": "Too many requests per second", "403": "Rate limit exceeded; slow down",
                    "500": "Internal server error", "502": "Bad gateway", "503": "Service unavailable"}
        self._send_json(h, entry["status"], {"error": messages[kind], "message": messages[kind]}, headers)
        return True

    def _route(self, path: str, params: dict[str, str]):
        head, _, rest = path.strip("/").partition("/")
        parts = [head, rest] if rest else [head]  # the id may itself be a URL: /works/https://openalex.org/W1
        if head not in ENTITIES:
            return 404, {"error": "Not found", "message": f"{path} is not an endpoint of this stand-in"}
        entity = parts[0]
        idx = self._index[entity]
        if len(parts) == 2:
            i = idx.by_id.get(norm(parts[1]))
            if i is None:
                return 404, {"error": "Not found", "message": f"{parts[1]} does not exist"}
            return 200, _Body(None, [idx.whole[i]], single=True)
        per_page_text = params.get("per-page") or params.get("per_page") or "25"
        try:
            per_page = int(per_page_text)
        except ValueError:
            raise FilterError(f"per-page must be an integer, not {per_page_text!r}") from None
        if not 1 <= per_page <= 200:
            raise FilterError("per-page must be between 1 and 200")
        filter_text = params.get("filter", "")
        selected = self._select(entity, filter_text)
        group_key = params.get("group_by") or params.get("group-by")
        if group_key:
            return 200, self._group_by(entity, group_key, selected)
        meta = {"count": len(selected), "db_response_time_ms": 0, "page": None, "per_page": per_page,
                "next_cursor": None, "groups_count": None, "cost_usd": 0.0001}
        if "cursor" in params:
            offset = self._decode_cursor(params["cursor"], entity, filter_text)
            chosen = selected[offset: offset + per_page]
            if chosen:
                meta["next_cursor"] = self._encode_cursor(offset + len(chosen), entity, filter_text)
        else:
            page = int(params.get("page") or 1)
            if page * per_page > MAX_PAGING_RESULTS and page > 1:
                raise FilterError("Maximum results size of 10,000 records is exceeded. Cursor pagination is required.")
            meta["page"] = page
            chosen = selected[(page - 1) * per_page: page * per_page]
        blobs = [idx.blobs[i] for i in chosen]
        if params.get("select"):
            fields = [f.strip() for f in params["select"].split(",") if f.strip()]
            blobs = [json.dumps({k: idx.records[i].get(k) for k in fields}).encode() for i in chosen]
        return 200, _Body(meta, blobs)

    def _group_by(self, entity: str, key: str, selected: list[int]) -> dict:
        field_name = field_of(entity, key.lower())
        col = self._column(entity, field_name)
        counts: dict[str, int] = {}
        for i in selected:
            for value in col[i] or ():
                counts[value] = counts.get(value, 0) + 1
        groups = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        display = (lambda v: v.upper()) if "country_code" in field_name else (lambda v: v)
        return {
            "meta": {"count": len(selected), "db_response_time_ms": 0, "page": 1, "per_page": 200, "groups_count": len(groups),
                     "cost_usd": 0.0001},
            "results": [],
            "group_by": [{"key": display(k), "key_display_name": display(k), "count": n} for k, n in groups],
        }

    @staticmethod
    def _fingerprint(entity: str, filter_text: str) -> str:
        return hashlib.sha256(f"{entity}?{filter_text}".encode()).hexdigest()[:12]

    def _encode_cursor(self, offset: int, entity: str, filter_text: str) -> str:
        raw = json.dumps({"o": offset, "q": self._fingerprint(entity, filter_text)}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_cursor(self, token: str, entity: str, filter_text: str) -> int:
        if token == "*":
            return 0
        try:
            doc = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if doc["q"] != self._fingerprint(entity, filter_text):
                raise ValueError
            return int(doc["o"])
        except Exception:
            raise FilterError(f"invalid cursor {token[:20]!r}") from None

    # --- wire --------------------------------------------------------------------------------------------
    @staticmethod
    def _send(h, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True

    def _send_json(self, h, status: int, doc: dict, headers: dict | None = None) -> None:
        self._send(h, status, json.dumps(doc).encode(), headers=headers)

    @staticmethod
    def _send_truncated(h, status: int, body: bytes) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: max(1, len(body) // 2)])
            h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True


class _Body:
    """A list/singleton response assembled from pre-serialised records."""

    def __init__(self, meta: dict | None, blobs: list[bytes], single: bool = False):
        self.meta, self.blobs, self.single = meta, blobs, single

    def render(self, elapsed_ms: int) -> bytes:
        if self.single:
            return self.blobs[0]
        meta = dict(self.meta, db_response_time_ms=elapsed_ms)
        return b'{"meta":' + json.dumps(meta).encode() + b',"results":[' + b",".join(self.blobs) + b'],"group_by":[]}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write (flushed after each request)
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802
        self.server.app.handle(self)  # type: ignore[attr-defined]

    def log_message(self, format, *args):  # quiet
        pass
