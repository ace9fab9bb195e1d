"""Publish the build database to WAREHOUSE_PATH, whole and atomically, once every gate has passed.

Readers (analysts, BI tools) open the published file read-only; a run never writes to it, it only
replaces it by rename, so a reader sees the old warehouse or the new one, never half of one, and a
reader holding the file never blocks a run (DuckDB allows one writer or many readers per file: the
writer here is the build file, `Settings.build_path`).

Beside the DuckDB file:
- the publish step writes `parquet/<mart>.parquet`, one file per mart, each replaced atomically, for tools
  that prefer files;
- the `dbt_docs` asset writes `docs/`, the dbt docs site (`dbt docs generate --static`; job `docs`, served
  by `make docs`).

The publish step depends on every mart (read from the dbt project, so a new mart is a new dependency) and
on every other asset the published file holds (raw tables, seeds, staging and intermediate models). Dagster
makes a blocking check's step an upstream step of the assets *directly* downstream of the checked asset
only; a gate on a staging model that no mart reads directly would otherwise not hold publishing back.
tests/test_serving.py asserts that every blocking check of the jobs runs before the publish step.
"""


import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from ..lib.duckdb_io import connect
from ..settings import load_settings
from . import dbt as dbt_module
from ..resources import dbt_project
from .raw import RAW_SPECS

OWNER = "team:data-engineering"
PUBLISHED_KEY = dg.AssetKey(["warehouse", "published"])
DBT_DOCS_KEY = dg.AssetKey(["warehouse", "dbt_docs"])



def _dbt_asset_keys() -> set[dg.AssetKey]:
    """The keys of every dbt model and seed, however the dbt project is split into Dagster assets."""
    return {k for v in vars(dbt_module).values() if isinstance(v, dg.AssetsDefinition) for k in v.keys}


# Every mart, read from the dbt project at definition time: a new mart is a new dependency by itself.
MART_KEYS = sorted((k for k in _dbt_asset_keys() if k.path[0] == "marts"), key=lambda k: k.to_user_string())
# Everything else in the published file, so that each of its blocking checks holds publishing back too; but not
# the reference seeds, which a run reloads only when they changed (a failing seed test fails the dbt step anyway).
OTHER_KEYS = sorted({*(k for k in _dbt_asset_keys() if k.path[0] not in ("marts", "reference")), *(s.key for s in RAW_SPECS)},
                    key=lambda k: k.to_user_string())

# DuckDB storage versions a 1.x client reads (a file written with 2.x storage is refused by 1.x drivers).
READABLE_BY_1X = ("v0.", "v1.")


def parquet_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "parquet"


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
    """Every table of the `marts` schema to `out_dir/<mart>.parquet` (each written aside, then renamed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    marts = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()]
    rows: dict[str, int] = {}
    for mart in marts:
        target = out_dir / f"{mart}.parquet"
        tmp = out_dir / f".{mart}.parquet.{os.getpid()}.tmp"
        con.execute(f"copy (select * from marts.{mart}) to '{tmp}' (format parquet, compression zstd)")
        os.replace(tmp, target)
        rows[mart] = int(con.execute(f"select count(*) from marts.{mart}").fetchone()[0])
    for stale in out_dir.glob("*.parquet"):  # a mart that was dropped from the project
        if stale.stem not in rows:
            stale.unlink()
    return rows


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[*MART_KEYS, *OTHER_KEYS],
    group_name="serving",
    owners=[OWNER],
    kinds={"duckdb", "parquet"},
    tags={"layer": "serving"},
    description=(
        "The serving copy of the warehouse that analysts and BI tools open read-only (WAREHOUSE_PATH), replaced "
        "whole by rename after every blocking check of the run has passed; plus one Parquet file per mart "
        "(`parquet/<mart>.parquet` beside it)."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    build, target = settings.build_path, settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(".publish-*"):  # from a run that was killed mid-publish
        shutil.rmtree(leftover, ignore_errors=True)
    # Fold any write-ahead log into the build file, so the copy is the whole database.
    with connect(build) as con:
        con.execute("checkpoint")
    if build.with_name(build.name + ".wal").exists():
        raise dg.Failure(f"{build}.wal still exists after a checkpoint: is another process writing the build file?")
    # The copy keeps the file's name (dbt's views name their catalog after it) in a folder beside the target,
    # on the same file system, so the final rename is atomic.
    staging_dir = Path(tempfile.mkdtemp(prefix=f".publish-{os.getpid()}-", dir=target.parent))
    tmp = staging_dir / target.name
    try:
        shutil.copyfile(build, tmp)
        # The copy must open, hold every mart and be readable by 1.x clients before it goes live.
        with connect(tmp, read_only=True) as con:
            version = storage_version(con)
            if not version.startswith(READABLE_BY_1X):
                raise dg.Failure(f"The build file has DuckDB storage {version}; 1.x clients (BI drivers) cannot open it.")
            tables = [r[0] for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()]
            missing = [k.path[-1] for k in MART_KEYS if k.path[-1] not in tables]
            if missing:
                raise dg.Failure(f"The build file lacks the marts {missing}; nothing was published.")
            figures = con.execute("select count(*) from marts.headline_figures").fetchone()[0]
            label = con.execute("select dataset_label from staging.stg_openalex__dataset").fetchone()[0]
            parquet_rows = export_parquet(con, parquet_dir(target))
        os.replace(tmp, target)
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)
    published_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    stamp = parquet_dir(target) / f"._published.json.{os.getpid()}.tmp"
    stamp.write_text(json.dumps(
        {"published_at": published_at, "warehouse": str(target), "dataset_label": label, "rows": parquet_rows}, indent=1
    ))
    os.replace(stamp, parquet_dir(target) / "_published.json")
    context.log.info(f"Published {target} ({len(tables)} marts, storage {version}) and {len(parquet_rows)} Parquet files")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(target)),
        "parquet_dir": dg.MetadataValue.path(str(parquet_dir(target))),
        "mart_tables": len(tables),
        "mart_rows": dg.MetadataValue.json(parquet_rows),
        "headline_rows": int(figures),
        "duckdb_storage_version": version,
        "dataset_label": label,
        "published_at": published_at,
        "size_mib": round(target.stat().st_size / 2**20, 1),
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
def dbt_docs(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> dg.MaterializeResult:
    settings = load_settings()
    os.environ["DBT_DUCKDB_PATH"] = str(settings.build_path)  # the catalog is read from the build file, never the served one
    out = docs_dir(settings.warehouse_path)
    out.mkdir(parents=True, exist_ok=True)
    # Reuse this run's parsed and compiled project (dagster-dbt leaves it in target/<op>-<run id>-<uuid>/):
    # `--no-compile` then only reads the catalog, ~10 s instead of ~25 s. Without one, dbt parses afresh.
    target = Path(dbt_project.project_dir) / dbt_project.target_path  # target_path is relative to the project
    run_dirs = sorted(
        (d for d in target.glob(f"*-{context.run.run_id[:7]}-*") if (d / "manifest.json").is_file()),
        key=lambda d: d.stat().st_mtime,
    )
    with tempfile.TemporaryDirectory(prefix=".dbt-docs-", dir=out.parent) as tmp:
        args = ["docs", "generate", "--static"]
        if run_dirs:
            for name in ("manifest.json", "partial_parse.msgpack"):
                if (run_dirs[-1] / name).is_file():
                    shutil.copyfile(run_dirs[-1] / name, Path(tmp) / name)
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
    })


@dg.asset_check(
    asset=PUBLISHED_KEY,
    name="serving_copy_matches_build",
    description="The published file opens read-only with DuckDB 1.x storage, and every mart has the same rows in the build "
    "file, the published file and its Parquet file.",
)
def serving_copy_matches_build() -> dg.AssetCheckResult:
    settings = load_settings()
    target = settings.warehouse_path
    counts: dict[str, dict[str, int | None]] = {}
    with connect(settings.build_path, read_only=True) as build, connect(target, read_only=True) as published:
        version = storage_version(published)
        for con, where in ((build, "build"), (published, "published")):
            for (mart,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall():
                counts.setdefault(mart, {})[where] = int(con.execute(f"select count(*) from marts.{mart}").fetchone()[0])
        for mart, row in counts.items():
            path = parquet_dir(target) / f"{mart}.parquet"
            row["parquet"] = int(published.execute(f"select count(*) from '{path}'").fetchone()[0]) if path.is_file() else None
    mismatched = {m: c for m, c in counts.items() if len({c.get("build"), c.get("published"), c.get("parquet")}) != 1}
    return dg.AssetCheckResult(
        passed=version.startswith(READABLE_BY_1X) and not mismatched,
        metadata={"duckdb_storage_version": version, "marts": len(counts),
                  "mismatched": dg.MetadataValue.json(mismatched) if mismatched else "none"},
    )


serving_checks = [serving_copy_matches_build]
