"""The `api` source of the raw layer: OpenAlex fetched through its API, queries built by pyalex, landed as a snapshot.

Rooms: `query` (what is asked: the study's scope as pyalex queries), `client` (HTTP with one retry layer),
`checkpoint` (resumable state and page files), `whole_works` (works cut at 100 authorships in list pages, fetched
whole), `landing` (snapshot layout, manifest, swap-in), `fetch` (the phases, in order). `fetch(settings, log)` is
the entry point; it returns a `FetchResult` (folder + stats).
"""

from ...settings import OPENALEX_URL
from .errors import ApiAuthError, ApiFetchError, BudgetExhausted, QueryRejected
from .fetch import FetchResult, fetch
from .landing import schema_era, short_id
from .query import CHINA, StudyScope

__all__ = [
    "CHINA", "OPENALEX_URL", "ApiAuthError", "ApiFetchError", "BudgetExhausted", "FetchResult", "QueryRejected",
    "StudyScope", "fetch", "schema_era", "short_id",
]
