"""Publish the build database to WAREHOUSE_PATH, whole and atomically, once every gate has passed.

Readers (analysts, BI tools) open the published file read-only; a run never writes to it, it only
replaces it by rename, so a reader sees the old warehouse or the new one, never half of one.
"""


import os
import shutil

import dagster as dg

from ..lib.duckdb_io import connect
from ..settings import load_settings

MART_DEPS = [dg.AssetKey(["marts", "headline_figures"]), dg.AssetKey(["marts", "fct_eu_cn_works"])]


@dg.asset(
    key=["warehouse", "published"],
    deps=MART_DEPS,
    group_name="serving",
    owners=["team:data-engineering"],
    kinds={"duckdb"},
    description="The serving copy of the warehouse that analysts and BI tools open (WAREHOUSE_PATH).",
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    target = settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(settings.build_path, tmp)
    with connect(tmp, read_only=True) as con:  # the copy opens and holds the marts before it goes live
        tables = con.execute("select count(*) from information_schema.tables where table_schema = 'marts'").fetchone()[0]
        figures = con.execute("select count(*) from marts.headline_figures").fetchone()[0]
    os.replace(tmp, target)
    context.log.info(f"Published {target}")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(target)), "mart_tables": int(tables), "headline_rows": int(figures),
        "size_mib": round(target.stat().st_size / 2**20, 1),
    })
