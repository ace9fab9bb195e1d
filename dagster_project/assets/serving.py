"""Publish the build database to WAREHOUSE_PATH, with one Parquet file per mart, as one atomic step once every
gate has passed.

Readers (analysts, BI tools) open the published file read-only; a run never writes to it. Each publish writes a
complete release beside it, `releases/<id>/` (a copy of the build file and `parquet/<mart>.parquet`), then makes
it live with one rename: the symlink `current` is swapped to the new release. The published paths are fixed
symlinks through it:

    openalex.duckdb -> current/openalex.duckdb        parquet -> current/parquet        current -> releases/<id>

so a reader finds the old DuckDB file and the old Parquet files, or the new ones, never a mix and never half of
either; a failure anywhere before the swap leaves the previous release live. A reader holding the file keeps its
copy open and never blocks a run (DuckDB allows one writer or many readers per file: the writer here is the build
file, `Settings.build_path`). The previous release is kept; older ones are removed.

The `dbt_docs` asset writes `docs/`, the dbt docs site (`dbt docs generate --static`; job `docs`, served by
`make docs`).

The publish step depends on every dbt model and every raw asset (all of the published file), so any failed
blocking check or dbt test holds it back; tests/test_serving.py asserts that every blocking check of the jobs
runs before it.
"""


import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from ..lib.duckdb_io import connect, ident, literal
from ..lib.owned_paths import CURRENT, PARQUET, RELEASES, is_owned, owned_dir
from ..lib.release_history import record_release
from ..resources import dbt_project, dbt_vars
from ..run_guard import WarehouseSettings, WarehouseWriter
from .dbt import dbt_build, last_build_artifacts
from .dbt_fingerprints import recorded_state
from .raw import RAW_SPECS

OWNER = "team:data-engineering"
PUBLISHED_KEY = dg.AssetKey(["warehouse", "published"])
DBT_DOCS_KEY = dg.AssetKey(["warehouse", "dbt_docs"])

# Every mart, read from the dbt project at definition time: a new mart is a new dependency by itself.
MART_KEYS = sorted((k for k in dbt_build.keys if k.path[0] == "marts"), key=lambda k: k.to_user_string())
# Everything else in the published file; but not the reference seeds, which a run reloads only when they changed
# (an asset the dbt step does not materialise would skip this step; a failing seed test fails the dbt step anyway).
OTHER_KEYS = sorted({*(k for k in dbt_build.keys if k.path[0] not in ("marts", "reference")), *(s.key for s in RAW_SPECS)},
                    key=lambda k: k.to_user_string())

# DuckDB storage versions a 1.x client reads (a file written with 2.x storage is refused by 1.x drivers).
READABLE_BY_1X = ("v0.", "v1.")
# What analysts and BI tools read: the marts, the reference data, and the staged and classified works behind them
# for drill-down. Not the raw layer, pipeline state or failing test rows (those stay in the build file).
PUBLISHED_SCHEMAS = ("marts", "reference", "staging", "intermediate", "history")
STAGING_PREFIX = ".staging-"  # a release being written: never live, removed by the next publish


# The release log dbt reads (source history.releases): appended by the publish step in each release it publishes
# (lib/release_history.py), so not a materialisation of its own; declared to say what it is and who owns it.
release_log = dg.AssetSpec(
    key=dg.AssetKey(["history", "releases"]),
    group_name="serving",
    owners=[OWNER],
    kinds={"duckdb"},
    description="Every published release (id, time, source and watermark, definitions and reference data in force), "
    "written by warehouse/published into the release it publishes and restored into the build file before each dbt "
    "build: what marts.release_changes compares against (docs/releases.md).",
)


def parquet_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / PARQUET


def docs_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "docs"


def storage_version(con) -> str:
    """The storage version DuckDB reports for the open database, e.g. 'v1.0.0+'."""
    tags = con.execute("select tags from duckdb_databases() where not internal and database_name = current_database()").fetchone()[0]
    return str((tags or {}).get("storage_version", "unknown"))


def _atomic_copy(src: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, target)


def export_parquet(con, out_dir: Path) -> dict[str, int]:
    """Every table of the `marts` schema to `out_dir/<mart>.parquet`; returns the rows of each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    marts = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()]
    rows: dict[str, int] = {}
    for mart in marts:
        # COPY takes no parameters: the path is written as a quoted SQL literal, the mart as a quoted identifier.
        con.execute(f"copy (select * from marts.{ident(mart)}) to {literal(str(out_dir / mart) + '.parquet')} "
                    "(format parquet, compression zstd)")
        rows[mart] = int(con.execute(f"select count(*) from marts.{ident(mart)}").fetchone()[0])
    return rows


def copy_published_schemas(build: Path, out: Path) -> dict[str, int]:
    """A new DuckDB file holding what analysts read: every table and view of PUBLISHED_SCHEMAS (but the staging
    models' `base_` inputs). The raw layer, pipeline state and failing test rows stay in the build file, so the
    copy grows with the study's universe, not with the snapshot. Returns the rows of each table copied."""
    rows: dict[str, int] = {}
    with connect(out) as con:
        con.execute(f"attach {literal(str(build))} as build (read_only)")
        tables = con.execute(
            """select schema_name, table_name from duckdb_tables()
               where database_name = 'build' and schema_name in (select unnest(?::varchar[]))
                 and not starts_with(table_name, 'base_')
               order by 1, 2""", [list(PUBLISHED_SCHEMAS)]).fetchall()
        views = con.execute(
            """select schema_name, sql from duckdb_views()
               where database_name = 'build' and not internal and schema_name in (select unnest(?::varchar[]))""",
            [list(PUBLISHED_SCHEMAS)]).fetchall()
        for schema in sorted({schema for schema, _ in tables} | {schema for schema, _ in views}):
            con.execute(f"create schema if not exists {ident(schema)}")
        for schema, table in tables:
            con.execute(f"create table {ident(schema)}.{ident(table)} as select * from build.{ident(schema)}.{ident(table)}")
            rows[f"{schema}.{table}"] = int(con.execute(f"select count(*) from {ident(schema)}.{ident(table)}").fetchone()[0])
        for _, sql in views:  # schema-qualified, reading `<catalog>.<schema>.<table>`: the copy keeps the catalog's name
            con.execute(sql)
        con.execute("detach build")
        con.execute("checkpoint")
    return rows


def _swap_link(link: Path, points_to: str) -> None:
    """Make `link` a symlink to `points_to` by one rename (the run checked before any work that nothing of anyone
    else's is there: owned_paths.foreign_path_problem)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.link")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(points_to)
    os.replace(tmp, link)


def stage_release(build: Path, target: Path) -> tuple[Path, dict]:
    """Write a complete release (the DuckDB copy, verified, and its Parquet files) that is not live yet."""
    releases = owned_dir(target.parent / RELEASES)
    for leftover in releases.glob(f"{STAGING_PREFIX}*"):  # from a killed publish
        if is_owned(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
    release_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"
    staging = owned_dir(releases / f"{STAGING_PREFIX}{release_id}")
    # The published file keeps the build file's name: dbt's views name their catalog after it.
    copy = staging / target.name
    copied = copy_published_schemas(build, copy)
    with connect(copy) as con:
        release_row = record_release(con, release_id, recorded_state(build)[0].get("reference"))
    # The copy must open, hold every mart and be readable by 1.x clients before it goes live.
    with connect(copy, read_only=True) as con:
        version = storage_version(con)
        if not version.startswith(READABLE_BY_1X):
            raise dg.Failure(f"The build file has DuckDB storage {version}; 1.x clients (BI drivers) cannot open it.")
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        missing = [k.path[-1] for k in MART_KEYS if k.path[-1] not in tables]
        if missing:
            raise dg.Failure(f"The build file lacks the marts {missing}; nothing was published.")
        figures = con.execute("select count(*) from marts.headline_figures").fetchone()[0]
        label = con.execute("select dataset_label from staging.stg_openalex__dataset").fetchone()[0]
        parquet_rows = export_parquet(con, staging / PARQUET)
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    (staging / PARQUET / "_published.json").write_text(json.dumps(
        {"published_at": published_at, "warehouse": str(target), "dataset_label": label, "release": release_id,
         "rows": parquet_rows}, indent=1))
    release = releases / release_id
    os.replace(staging, release)
    return release, {"release_row": release_row, "marts": len(tables), "version": version, "figures": int(figures), "label": label,
                     "parquet_rows": parquet_rows, "published_at": published_at, "tables": len(copied)}


def activate_release(release: Path, target: Path, keep: int = 2) -> None:
    """Make `release` live with one rename (the `current` link), then drop all but the newest `keep` releases."""
    _swap_link(target.parent / CURRENT, f"{RELEASES}/{release.name}")
    # The fixed links, made by the first publish.
    for name in (target.name, PARQUET):
        link = target.parent / name
        if not link.is_symlink():
            _swap_link(link, f"{CURRENT}/{name}")
    releases = sorted((d for d in (target.parent / RELEASES).iterdir() if not d.name.startswith(".") and is_owned(d)),
                      key=lambda d: d.name)
    for old in releases[:-keep]:
        if old != release:
            shutil.rmtree(old, ignore_errors=True)  # a reader holding a file of it keeps reading its copy


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[*MART_KEYS, *OTHER_KEYS],
    group_name="serving",
    owners=[OWNER],
    kinds={"duckdb", "parquet"},
    tags={"layer": "serving"},
    description=(
        "The serving copy of the warehouse that analysts and BI tools open read-only (WAREHOUSE_PATH) and one Parquet "
        "file per mart (`parquet/<mart>.parquet` beside it), made live together by one rename after every blocking "
        "check of the run has passed."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse_settings: WarehouseSettings,
                        warehouse_writer: WarehouseWriter) -> dg.MaterializeResult:
    settings = warehouse_settings.current
    build, target = settings.build_path, settings.warehouse_path
    # Fold any write-ahead log into the build file, so the copy is the whole database.
    with connect(build) as con:
        con.execute("checkpoint")
    if build.with_name(build.name + ".wal").exists():
        raise dg.Failure(f"{build}.wal still exists after a checkpoint: is another process writing the build file?")
    release, info = stage_release(build, target)
    activate_release(release, target)
    context.log.info(f"Published {target} ({info['marts']} marts, storage {info['version']}) and "
                     f"{len(info['parquet_rows'])} Parquet files: release {release.name}")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(target)),
        "parquet_dir": dg.MetadataValue.path(str(parquet_dir(target))),
        "release": release.name,
        "mart_tables": info["marts"],
        "mart_rows": dg.MetadataValue.json(info["parquet_rows"]),
        "headline_rows": info["figures"],
        "duckdb_storage_version": info["version"],
        "dataset_label": info["label"],
        "published_at": info["published_at"],
        "size_mib": round(target.stat().st_size / 2**20, 1),
        "build_size_mib": round(build.stat().st_size / 2**20, 1),
        "published_schemas": ", ".join(PUBLISHED_SCHEMAS),
        "published_tables": info["tables"],
    })


@dg.asset(
    key=DBT_DOCS_KEY,
    deps=[PUBLISHED_KEY],
    group_name="serving",
    owners=["team:analytics-engineering"],
    kinds={"dbt", "html"},
    tags={"layer": "serving"},
    description="The dbt docs site (models, columns, tests, lineage and catalog) for the published warehouse, served by `make docs`.",
)
def dbt_docs(dbt: DbtCliResource, warehouse_settings: WarehouseSettings, warehouse_writer: WarehouseWriter) -> dg.MaterializeResult:
    settings = warehouse_settings.current
    out = owned_dir(docs_dir(settings.warehouse_path))
    # Reuse the compiled project of the build database's last `dbt build` (dagster-dbt leaves it in
    # target/dbt_build-<run id>-<uuid>/): `--no-compile` then only reads the catalog, ~10 s less. Without one, dbt
    # compiles every node again.
    built = last_build_artifacts(settings.build_path)
    with tempfile.TemporaryDirectory(prefix=".dbt-docs-", dir=out.parent) as tmp:
        # The catalog is read from the build file, never the served one.
        args = ["docs", "generate", "--static", *dbt_vars(settings.build_path)]
        if built:
            for name in ("manifest.json", "partial_parse.msgpack"):
                if (built / name).is_file():
                    shutil.copyfile(built / name, Path(tmp) / name)
            args.append("--no-compile")
        dbt.cli(args, target_path=Path(tmp)).wait()
        for name in ("index.html", "static_index.html", "manifest.json", "catalog.json"):
            _atomic_copy(Path(tmp) / name, out / name)
    catalog = json.loads((out / "catalog.json").read_text())
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(out / "static_index.html")),
        "catalog_nodes": len(catalog.get("nodes", {})),
        "serve": "make docs",
        "dbt_project": str(dbt_project.project_dir),
        "compiled_sql_from": str(built) if built else "compiled by this step",
    })


@dg.asset_check(
    asset=PUBLISHED_KEY,
    name="serving_copy_matches_build",
    description="The published file opens read-only with DuckDB 1.x storage, and every mart has the same rows in the build "
    "file, the published file and its Parquet file.",
)
def serving_copy_matches_build(warehouse_settings: WarehouseSettings) -> dg.AssetCheckResult:
    settings = warehouse_settings.current
    target = settings.warehouse_path
    counts: dict[str, dict[str, int | None]] = {}
    with connect(settings.build_path, read_only=True) as build, connect(target, read_only=True) as published:
        version = storage_version(published)
        for con, where in ((build, "build"), (published, "published")):
            for (mart,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall():
                counts.setdefault(mart, {})[where] = int(con.execute(f"select count(*) from marts.{ident(mart)}").fetchone()[0])
        for mart, row in counts.items():
            path = parquet_dir(target) / f"{mart}.parquet"
            row["parquet"] = int(published.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]) \
                if path.is_file() else None
    mismatched = {m: c for m, c in counts.items() if len({c.get("build"), c.get("published"), c.get("parquet")}) != 1}
    return dg.AssetCheckResult(
        passed=version.startswith(READABLE_BY_1X) and not mismatched,
        metadata={"duckdb_storage_version": version, "marts": len(counts),
                  "mismatched": dg.MetadataValue.json(mismatched) if mismatched else "none"},
    )


serving_checks = [serving_copy_matches_build]
