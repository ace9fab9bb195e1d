"""The ROR-id rule for Python (the profile CLI, the watchlist and the seed builder). The rule itself is stated once,
in dbt's `ror_short_id` macro (dbt/macros/openalex_short_id.sql), which the staging models use: Python renders that
macro with Jinja and has DuckDB evaluate it, as the raw load does with the schema-era macro.
tests/fixtures/ror_id_cases.csv is the one table of accepted and rejected forms it is tested on, in Python and
through dbt.

A ROR id is `0`, six Crockford base-32 characters (digits and letters but i, l, o, u) and two check digits: ISO
7064 Mod 97-10 of the six characters read as a base-32 number (https://ror.readme.io/docs/identifier). It arrives
bare (`05d2yfz11`), as a URL (`https://ror.org/05d2yfz11`, `ror.org/05d2yfz11/`), with the prefix doubled as in
real OpenAlex snapshot lines (`https://ror.org/https://ror.org/05d2yfz11`), in either case, padded with blanks.
Anything else holds no ROR id: an id on another host, a bad checksum, a path after the id, an OpenAlex id.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import duckdb

from .dbt_macros import render_macro

_local = threading.local()  # one in-memory DuckDB connection per thread: a connection is not shared across threads


@lru_cache(maxsize=1)
def ror_id_sql() -> str:
    """The rule as a query of one parameter (the text), rendered from its dbt macro: the text is a bound value,
    never part of the SQL."""
    return f"select {render_macro('openalex_short_id.sql', 'ror_short_id', '$text')}"


def _connection() -> duckdb.DuckDBPyConnection:
    if getattr(_local, "con", None) is None:
        _local.con = duckdb.connect()
    return _local.con


@lru_cache(maxsize=65536)
def normalise_ror_id(text: str) -> str | None:
    """The bare lower-case 9-character ROR id `text` holds, or None when it holds no valid one."""
    return _connection().execute(ror_id_sql(), {"text": text}).fetchone()[0]
