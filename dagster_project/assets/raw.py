"""The raw layer: OpenAlex records landed as JSON lines, loaded typed into the `raw` schema.

Asset keys are `openalex/<table>`, the same keys dagster-dbt gives the dbt source `openalex`, so the
staging models hang directly off these assets.
"""


import json
import time
from pathlib import Path

import dagster as dg

from ..demo_data import snapshot as demo
from ..ingest.loader import LoadResult, ensure_raw_schema, load_files, prune_files
from ..ingest.quarantine import quarantine_file as quarantine_file_of
from ..ingest.raw_schema import schema_era_sql
from ..ingest.snapshot import list_snapshot
from ..ingest.universe import Universe, UniverseTooNarrow, record, recorded, require_covers
from ..lib.duckdb_io import connect, table_metadata
from ..run_guard import WarehouseSettings, WarehouseWriter
from ..settings import Settings

# Institutions first: the works' load summary counts the stripped institution objects their records can fill.
ENTITIES = ("institutions", "funders", "works")
OWNER = "team:data-engineering"
# JSON lines of {scope, publication_year, works_count, query, fetched_at} at the root of an api fetch.
WORK_COUNTS_FILE = "work_counts.jsonl"

RAW_SPECS = [
    dg.AssetSpec(
        ["openalex", "works"], group_name="raw", owners=[OWNER], kinds={"duckdb", "json"},
        description=(
            "The raw OpenAlex work records of the study's universe (AI under any definition, in the widest window), "
            "every version; staging keeps the latest."
        ),
    ),
    dg.AssetSpec(
        ["openalex", "work_versions"], group_name="raw", owners=[OWNER], kinds={"duckdb"},
        description="One thin row (id, updated_date, file) per work record read, in the universe or not: the latest version wins.",
    ),
    dg.AssetSpec(
        ["openalex", "institutions"], group_name="raw", owners=[OWNER], kinds={"duckdb", "json"},
        description="OpenAlex institution records: ror, country, type, lineage.",
    ),
    dg.AssetSpec(
        ["openalex", "funders"], group_name="raw", owners=[OWNER], kinds={"duckdb", "json"},
        description="OpenAlex funder records: country, ror, Crossref funder id.",
    ),
    dg.AssetSpec(
        ["openalex", "work_counts"], group_name="raw", owners=[OWNER], kinds={"duckdb"},
        description="AI output per scope and year from the API's group_by counts (api source only).",
    ),
    dg.AssetSpec(
        ["openalex", "dataset"], group_name="raw", owners=[OWNER], kinds={"duckdb"},
        description="What the warehouse was built from: source, label, synthetic or not.",
    ),
]


def stripped_institution_objects(con) -> tuple[int, int]:
    """Institution objects on the loaded works with an id but no country (stripped, as some records carry them),
    and how many of those an institution record can fill."""
    return con.execute(
        """with objects as (
               select unnest(authorship.institutions) as institution
               from (select unnest(authorships) as authorship from raw.works)
           ),
           stripped as (
               select institution.id from objects
               where institution.id is not null and nullif(trim(institution.country_code), '') is null
           )
           select count(*), count(*) filter (where stripped.id in (
               select id from raw.institutions where nullif(trim(country_code), '') is not null))
           from stripped"""
    ).fetchone()


def dataset_label(settings: Settings) -> str:
    if settings.source == "demo":
        release = ", second release" if settings.demo_release == 2 else ""
        return (f"SYNTHETIC demo data (seed {settings.demo_seed}, {settings.demo_works} works{release}) — "
                "not real OpenAlex figures")
    if settings.source == "snapshot":
        return f"OpenAlex snapshot at {settings.snapshot_dir}"
    return "OpenAlex API"


def prepare_source(settings: Settings, log) -> tuple[Path, str, dict]:
    """Land the source's files; returns the snapshot-layout root to load, a description and the API fetch's stats."""
    if settings.source == "demo":
        root = settings.raw_dir / "demo" / "snapshot"
        truth = demo.generate_snapshot(root, settings.demo_works, settings.demo_seed, release=settings.demo_release)
        log.info(f"Demo snapshot at {root}: {truth['records_written']} work records (generator {truth['params']})")
        return root, json.dumps(truth["params"]), {}
    if settings.source == "snapshot":
        if not settings.snapshot_dir or not settings.snapshot_dir.is_dir():
            raise dg.Failure(f"OPENALEX_SOURCE=snapshot needs OPENALEX_SNAPSHOT_DIR to be a folder (got {settings.snapshot_dir})")
        if not list_snapshot(settings.snapshot_dir, "works").files:
            # Checked before anything is pruned: a wrong folder must not drop the raw layer a right one loaded.
            raise dg.Failure(
                f"OPENALEX_SNAPSHOT_DIR='{settings.snapshot_dir}' holds no works part files "
                "(data/jsonl/works/updated_date=*/part_*.gz, or data/works/… or works/… in older snapshots): "
                "nothing was loaded or dropped, and the published warehouse is as it was."
            )
        return settings.snapshot_dir, str(settings.snapshot_dir), {}
    from ..ingest import openalex_api  # only the api source needs pyalex

    fetched = openalex_api.fetch(settings, log)
    return fetched.root, "OpenAlex API via pyalex", fetched.stats


def universe_for_load(con, log, full_reload: bool) -> tuple[Universe, set[str]]:
    """The universe to load works with, and the entities whose every file is reloaded.

    The raw layer keeps the universe it was loaded with while it covers what the definitions need (a narrower
    definition is answered from it); a wider one needs a full reload, which records the new universe."""
    needed = Universe.from_dbt()
    loaded = recorded(con)
    if full_reload:
        log.info(f"WAREHOUSE_FULL_REFRESH=1: every raw file is reloaded, keeping {needed.describe()}")
        return needed, set(ENTITIES)
    if loaded is None:
        # First load, or a raw layer loaded before it kept a universe: its works are read again.
        return needed, {"works"}
    try:
        require_covers(loaded, needed)
    except UniverseTooNarrow as exc:
        raise dg.Failure(str(exc)) from None
    return loaded, set()


def _load_summary(entity: str, result: LoadResult, removed: int = 0) -> str:
    """One line: what this run read, the files it skipped because they are unchanged since their last load, and
    the files gone from the source whose rows it dropped."""
    read = [f for f in result.files if not f.skipped]
    skipped = len(result.files) - len(read)
    records, loaded = sum(f.records for f in read), sum(f.loaded for f in read)
    outside, quarantined = sum(f.outside_universe for f in read), sum(f.quarantined for f in read)
    text = f"{entity}: {len(read)} files read, {records:,} records: {loaded:,} loaded"
    if entity == "works":
        text += f", {outside:,} outside the study's universe"
    text += f", {quarantined:,} quarantined"
    whole = sum(1 for f in read if f.reason)
    text += f" ({whole} files that cannot be read, quarantined whole)" if whole else ""
    text += f"; {skipped} files unchanged, skipped" if skipped else ""
    return text + (f"; {removed} files no longer in the source, their rows dropped" if removed else "")


def _unreadable_sentence(entity: str, f) -> str:
    return (f"{entity}: {f.file} cannot be read and is quarantined whole, nothing of it loaded ({f.reason}); "
            f"it counts as {f.records:,} quarantined records and {f.quarantined_bytes:,} bytes.")


@dg.multi_asset(specs=RAW_SPECS, can_subset=False)
def openalex_raw(context: dg.AssetExecutionContext, warehouse_settings: WarehouseSettings, warehouse_writer: WarehouseWriter):
    settings = warehouse_settings.current
    context.log.info(f"OpenAlex source: {settings.source} ({settings.source_reason})")
    started = time.monotonic()
    root, detail, api_fetch_stats = prepare_source(settings, context.log)
    results: dict[str, LoadResult] = {}
    with connect(settings.build_path) as con:
        ensure_raw_schema(con)
        universe, reload = universe_for_load(con, context.log, settings.full_refresh)
        for entity in ENTITIES:
            listing = list_snapshot(root, entity)
            if listing.missing_from_disk:
                context.log.warning(
                    f"{entity}: the manifest {listing.manifest} lists {len(listing.missing_from_disk)} files not on disk"
                )
            removed = prune_files(con, entity, listing.files)
            quarantine_file = quarantine_file_of(settings.raw_dir, settings.source, entity)
            results[entity] = load_files(
                con, entity, listing.files, quarantine_file, incremental=entity not in reload,
                universe=universe if entity == "works" else None, max_line_bytes=settings.raw_max_line_bytes,
            )
            r = results[entity]
            context.log.info(_load_summary(entity, r, removed))
            for f in r.unreadable:
                context.log.warning(_unreadable_sentence(entity, f))
            meta = table_metadata(con, f"raw.{entity}")
            meta.update({
                "records": r.records, "loaded": r.loaded, "outside_universe": r.outside_universe, "quarantined": r.quarantined,
                "updated_date_derived": con.execute(
                    f"select count(*) from raw.{entity} where _updated_date_derived").fetchone()[0],
                "files": len(r.files), "files_skipped_unchanged": sum(f.skipped for f in r.files), "files_removed": removed,
                "manifest": str(listing.manifest) if listing.manifest else "none",
                "manifest_files_missing": len(listing.missing_from_disk),
                "quarantine_file": str(quarantine_file) if quarantine_file.exists() else "none",
                "files_quarantined_whole": len(r.unreadable),
            })
            if entity == "works" and settings.source == "api":
                meta["api_fetch"] = dg.MetadataValue.json(api_fetch_stats)
            if entity == "works":
                eras = con.execute(f"select {schema_era_sql()} as era, count(*) from raw.works group by 1 order by 1").fetchall()
                meta["schema_eras"] = dg.MetadataValue.json(dict(eras))
                stripped, fillable = stripped_institution_objects(con)
                if stripped:
                    context.log.info(f"works: {stripped:,} institution objects name no country; {fillable:,} of them are "
                                     "filled from their institution records (stg_openalex__authorship_institutions)")
                meta["institution_objects_without_country"] = stripped
                meta["institution_objects_filled_from_records"] = fillable
                meta["duration_s"] = round(time.monotonic() - started, 2)
                meta["universe"] = universe.describe()
                record(con, universe)
            yield dg.MaterializeResult(asset_key=["openalex", entity], metadata=meta)
            if entity == "works":
                yield dg.MaterializeResult(asset_key=["openalex", "work_versions"], metadata=table_metadata(con, "raw.work_versions"))
        # The api source also lands group_by counts (the denominators) beside the works.
        con.execute("delete from raw.work_counts")
        counts_file = root / WORK_COUNTS_FILE
        if counts_file.is_file():
            con.execute(
                """insert into raw.work_counts
                   select scope, publication_year, works_count, query, fetched_at::timestamp
                   from read_json(?, format='newline_delimited', columns={'scope': 'VARCHAR', 'publication_year': 'INTEGER',
                        'works_count': 'BIGINT', 'query': 'VARCHAR', 'fetched_at': 'VARCHAR'})""",
                [str(counts_file)],
            )
        yield dg.MaterializeResult(asset_key=["openalex", "work_counts"], metadata=table_metadata(con, "raw.work_counts"))
        con.execute("delete from raw.dataset")
        con.execute(
            "insert into raw.dataset values (?, ?, ?, ?, current_timestamp)",
            [settings.source, dataset_label(settings), settings.is_synthetic, detail],
        )
        yield dg.MaterializeResult(asset_key=["openalex", "dataset"], metadata=table_metadata(con, "raw.dataset"))
