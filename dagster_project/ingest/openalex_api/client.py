"""HTTP to the OpenAlex API: pyalex builds each query's URL, this client sends it, behind one retry layer (tenacity).

Why the HTTP is not pyalex's own: pyalex 0.21 hard-codes https://api.openalex.org for entity queries (it ignores
`config.openalex_url`), builds its requests session in a private function and sets no timeout, so neither a
stand-in server nor a timeout can be set through its public API. Its retries (urllib3's `Retry`) also see only
the status line: a truncated or non-JSON body escapes them and ends `paginate()`, which would need a second
retry loop around it. So pyalex stays the query builder (filters, OR lists, `group_by`, its public `.url`) and
this client sends the URL with `requests`, host taken from OPENALEX_API_URL. A single tenacity policy wraps
"send, read the whole body, parse the JSON", so every fault — 429 (Retry-After honoured), 408/5xx, connection
reset, timeout (a stalled server), truncated body, non-JSON body — is retried in one place with one budget of
attempts. Cursor paging needs no pyalex state: a failed page is simply asked for again with the same cursor.

A spent daily budget (429 with a long Retry-After, an exhausted X-RateLimit-Remaining, or a message about the
daily budget) raises `BudgetExhausted` at once instead of sleeping until midnight.

The API key goes only into this session's `Authorization: Bearer` header (never a URL, never pyalex's
process-wide config); messages are redacted all the same.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import pyalex
import requests
import tenacity

from .errors import ApiAuthError, ApiFetchError, BudgetExhausted, QueryRejected

TIMEOUT = (10.0, 60.0)  # connect, read (seconds)
MAX_ATTEMPTS = 8  # per request, the first included
RETRY_WAIT_S = 1.0  # first backoff; doubles, capped at MAX_WAIT_S
MAX_WAIT_S = 60.0
MAX_RETRY_AFTER_S = 120.0  # a 429 asking to wait longer than this is a spent budget, not a burst
_BUDGET_WORDS = re.compile(r"daily|budget|per day|credits|quota", re.I)
_LOG = logging.getLogger(__name__)


@dataclass
class HttpStats:
    requests: int = 0  # sent, retries included
    bytes_downloaded: int = 0
    retries: int = 0
    retry_reasons: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {"requests": self.requests, "bytes_downloaded": self.bytes_downloaded, "retries": self.retries,
                "retry_reasons": dict(self.retry_reasons), "statuses": dict(self.statuses)}

    @staticmethod
    def merge(a: dict, b: dict) -> dict:
        """Two `as_dict()`s added up (a resumed fetch reports all its runs)."""
        out = {k: int(a.get(k) or 0) + int(b.get(k) or 0) for k in ("requests", "bytes_downloaded", "retries")}
        for k in ("retry_reasons", "statuses"):
            total = Counter(a.get(k) or {})
            total.update(b.get(k) or {})
            out[k] = dict(total)
        return out


class _Transient(Exception):
    """A failed attempt worth repeating."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class _WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """The server's Retry-After when it sent one, else exponential backoff."""

    def __init__(self, first: float, cap: float):
        self.backoff = tenacity.wait_exponential(multiplier=first, max=cap)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return max(exc.retry_after, 0.0)
        return self.backoff(retry_state)


def retry_after_seconds(headers) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110)."""
    value = (headers or {}).get("Retry-After")
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        return (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
    except (TypeError, ValueError):
        return None


def budget_reason(status: int, headers, body: str | None, max_retry_after: float) -> str | None:
    """Why a response means the daily budget is spent, or None."""
    if status != 429:
        return None
    wait = retry_after_seconds(headers)
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


class OpenAlexClient:
    """GETs pyalex-built queries from `base_url` and returns the parsed JSON, retrying transient faults."""

    def __init__(self, base_url: str, api_key: str, email: str | None, *, timeout=TIMEOUT, max_attempts: int = MAX_ATTEMPTS,
                 retry_wait: float = RETRY_WAIT_S, max_retry_after: float = MAX_RETRY_AFTER_S,
                 sleep: Callable[[float], None] = time.sleep, warn: Callable[[str], None] = _LOG.warning):
        self.base_url, self.timeout, self.max_retry_after, self.warn = base_url, timeout, max_retry_after, warn
        self.stats = HttpStats()
        self._key = api_key
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {api_key}",
                                     "User-Agent": f"eu-cn-ai-warehouse pyalex/{pyalex.__version__}"})
        if email:
            self.session.headers["From"] = email  # OpenAlex's polite pool
        if (urlsplit(base_url).hostname or "") in ("127.0.0.1", "localhost", "::1"):
            self.session.trust_env = False  # a local stand-in: no environment proxy in between
        self._retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max_attempts),
            wait=_WaitRetryAfterOrBackoff(retry_wait, MAX_WAIT_S),
            retry=tenacity.retry_if_exception_type(_Transient),
            sleep=sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        self.max_attempts = max_attempts

    def close(self) -> None:
        self.session.close()

    def redact(self, text) -> str:
        text = str(text)
        return text.replace(self._key, "<redacted>") if self._key else text

    def url(self, query) -> str:
        """pyalex's URL for the query, on this client's host."""
        pyalex_url = urlsplit(query.url)
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, base.path + pyalex_url.path, pyalex_url.query, ""))

    def get(self, what: str, query) -> dict:
        """The API's JSON answer to a pyalex query; `what` names it in messages."""
        try:
            return self._retrying(self._attempt, self.url(query), what)
        except _Transient as exc:
            raise ApiFetchError(self.redact(f"Gave up on {what} after {self.max_attempts} attempts (last: {exc.reason})")) from None

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        exc, what = state.outcome.exception(), state.args[1]
        reason = exc.reason if isinstance(exc, _Transient) else type(exc).__name__
        self.stats.retries += 1
        self.stats.retry_reasons[reason] += 1
        wait = state.upcoming_sleep
        self.warn(self.redact(f"{what}: {reason}; retrying in {wait:.1f} s "
                              f"(attempt {state.attempt_number + 1}/{self.max_attempts})"))

    def _attempt(self, url: str, what: str) -> dict:
        _LOG.debug("GET %s", url)
        self.stats.requests += 1
        try:
            r = self.session.get(url, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            # Resets, timeouts (a stalled server) and bodies cut short all land here.
            raise _Transient(type(exc).__name__) from None
        self.stats.statuses[str(r.status_code)] += 1
        self.stats.bytes_downloaded += len(r.content)
        if r.status_code == 200:
            try:
                doc = r.json()
            except ValueError:
                raise _Transient("non-JSON body") from None
            if not isinstance(doc, dict) or not ({"results", "group_by", "id"} & doc.keys()):
                raise _Transient("a body that is not an OpenAlex answer")
            return doc
        raise self._error_for(r, what)

    def _error_for(self, r: requests.Response, what: str) -> Exception:
        """The exception a non-200 answer stands for: transient (retried) or final."""
        status, body = r.status_code, r.text
        budget = budget_reason(status, r.headers, body, self.max_retry_after)
        if budget:
            return BudgetExhausted(self.redact(f"OpenAlex daily budget exhausted ({budget}) while fetching {what}; "
                                               "try again after it resets (midnight UTC)"))
        if status == 400:
            return QueryRejected(self.redact(f"OpenAlex rejected the query for {what}: {_message(body)}"))
        rate_limited = status == 403 and re.search(r"rate limit", body, re.I)
        if status == 401 or (status == 403 and not rate_limited):
            return ApiAuthError(self.redact(f"OpenAlex refused the request for {what}: HTTP {status} ({_message(body)}). "
                                            "Check OPENALEX_API_KEY"))
        if status in (408, 429) or status >= 500 or rate_limited:
            return _Transient(f"HTTP {status}", retry_after_seconds(r.headers))
        return ApiFetchError(self.redact(f"OpenAlex answered HTTP {status} for {what}: {body[:300]}"))


def _message(body: str) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return body[:200]
    if isinstance(doc, dict):
        return "; ".join(str(doc[k]) for k in ("error", "message") if doc.get(k))[:300] or body[:200]
    return body[:200]
