"""The pipeline's own bookkeeping in the build database, kept apart from the data in the `pipeline_state` schema:
`build_fingerprints` (what the incremental models and the reference seeds were last built from) and
`contract_watermarks` (how far each table's rows passed their Great Expectations contract)."""

from __future__ import annotations

import duckdb

SCHEMA = "pipeline_state"
FINGERPRINTS = f"{SCHEMA}.build_fingerprints"
WATERMARKS = f"{SCHEMA}.contract_watermarks"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema and its tables; a build database made before the schema existed has them in `raw`."""
    con.execute(f"create schema if not exists {SCHEMA}")
    old = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' "
        "and table_name in ('build_fingerprints', 'contract_watermarks')").fetchall()}
    for table in sorted(old):
        con.execute(f"create table if not exists {SCHEMA}.{table} as select * from raw.{table}")
        con.execute(f"drop table raw.{table}")
    con.execute(f"create table if not exists {FINGERPRINTS} (kind varchar, fingerprint varchar, recorded_at timestamp)")
    con.execute(
        f"create table if not exists {WATERMARKS} (relation varchar, rules_key varchar, passed_through timestamp, run_id varchar)")
