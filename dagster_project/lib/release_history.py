"""The history of what was published: schema `history` (dbt's snapshots of the marts readers compare, and the
release log `history.releases`), kept in the build file between runs and published with every release.

The live release is the history's source of truth. Before a run's `dbt build`, `restore_from_live_release` makes
the build file's schema `history` a copy of the live release's, so whatever a run that did not publish wrote
there (a dbt build whose gates then failed, a publish that died half-way) is gone, and the snapshots compare this
build with exactly the last published state. The publish step appends the new release's row
(`record_release`) to the release being staged, never to the build file, so the log lists only releases that
went live.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .duckdb_io import connect, ident, literal

SCHEMA = "history"
RELEASES = f"{SCHEMA}.releases"


def _history_tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    return [row[0] for row in con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by 1",
        [database, SCHEMA]).fetchall()]


def restore_from_live_release(build: Path, live: Path) -> str:
    """Make the build file's schema `history` the live release's (`live`: the published file, or absent before the
    first publish). Returns one line saying what it restored, for the run's log."""
    with connect(build) as con:
        build_db = con.execute("select current_database()").fetchone()[0]
        con.execute(f"create schema if not exists {SCHEMA}")
        for table in _history_tables(con, build_db):
            con.execute(f"drop table {SCHEMA}.{ident(table)}")
        if not live.exists():
            return "No release published yet: the history starts with this run's release"
        con.execute(f"attach {literal(str(live))} as live_release (read_only)")
        try:
            tables = _history_tables(con, "live_release")
            for table in tables:
                con.execute(f"create table {SCHEMA}.{ident(table)} as select * from live_release.{SCHEMA}.{ident(table)}")
        finally:
            con.execute("detach live_release")
        if "releases" not in tables:
            return "The live release records no history: the history starts with this run's release"
        count, last = con.execute(f"select count(*), arg_max(release_id, published_at) from {RELEASES}").fetchone()
        return f"History restored from the live release {last} ({count} releases, {len(tables) - 1} history tables)"


def record_release(con: duckdb.DuckDBPyConnection, release_id: str, reference_fingerprint: str | None) -> dict:
    """Append the release being staged to `history.releases` in its own file (`con`, the staged copy), stamped
    with DuckDB's clock as the history's snapshots are. Returns the row."""
    con.execute(f"""
        insert into {RELEASES} by name
        select
            ? as release_id,
            now()::timestamp as published_at,
            dataset.data_source,
            dataset.dataset_label,
            dataset.source_detail,
            (select max(updated_at)::date from staging.stg_openalex__works) as data_updated_through,
            figures.definition_set,
            figures.europe_definition,
            figures.ai_definition,
            figures.risk_list_variant,
            ? as reference_fingerprint,
            (select try_cast(max(as_of_date) as date) from marts.dim_risk_entities) as risk_list_as_of
        from staging.stg_openalex__dataset as dataset
        cross join (select * from marts.headline_figures limit 1) as figures
    """, [release_id, reference_fingerprint])
    cur = con.execute(f"select * from {RELEASES} where release_id = ?", [release_id])
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
