"""The study report as a Dagster asset: rendered from the published warehouse after each publish.

The page, its charts and its data live in `dagster_project.report`; its job (`report_only`) in `jobs.py`.
"""

import re

import dagster as dg

from ..lib.duckdb_io import connect
from ..lib.owned_paths import owned_dir
from ..report import build_report, report_dir, report_path
from ..report.charts import fmt
from ..run_guard import WarehouseSettings, WarehouseWriter
from .serving import MART_KEYS, PUBLISHED_KEY

REPORT_KEY = dg.AssetKey(["reports", "study_report"])


class ReportConfig(dg.Config):
    """An institution page is drawn again only when its facts change; `full_refresh` draws every page."""

    full_refresh: bool = False


@dg.asset(
    key=REPORT_KEY,
    deps=[PUBLISHED_KEY, *MART_KEYS],
    group_name="serving",
    owners=["team:analytics-engineering"],
    kinds={"html"},
    tags={"layer": "serving"},
    description=(
        "The study report: a static HTML page (`report/index.html` beside the warehouse) with the headline "
        "figures — Europe's and the UK's share with China by year, countries, risk, institution links, funding — "
        "each with its "
        "definition and the MERICS figure beside ours, and every mart to download as Parquet or CSV; and one page "
        "per European institution (`report/institutions/<ror>.html`: its Chinese partners, their risk tags and why) "
        "with a sortable, searchable index ranked by defence-linked exposure. Read from the published warehouse; a "
        "missing table or column stops it with a sentence naming it."
    ),
)
def study_report(context: dg.AssetExecutionContext, config: ReportConfig, warehouse_settings: WarehouseSettings,
                 warehouse_writer: WarehouseWriter) -> dg.MaterializeResult:
    settings = warehouse_settings.current
    owned_dir(report_dir(settings.warehouse_path))
    summary = build_report(settings.warehouse_path, progress=context.log.info, redraw_all=config.full_refresh)
    context.log.info(f"Study report: {summary['path']} ({summary['charts']} charts, {summary['downloads']} marts); "
                     f"{summary['institution_pages']} institution pages, index {summary['institutions_index']}")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(summary["path"])),
        "sections": dg.MetadataValue.json(summary["sections"]),
        "charts": summary["charts"],
        "synthetic_banner": summary["synthetic"],
        "merics_figures_compared": summary["merics_figures"],
        "marts_to_download": summary["downloads"],
        "size_kib": round(summary["bytes"] / 1024, 1),
        "institution_pages": summary["institution_pages"],
        "institution_pages_drawn": summary["institution_pages_drawn"],
        "institutions_index": dg.MetadataValue.path(str(summary["institutions_index"])),
        "institution_pages_size_kib": summary["institution_pages_kib"],
        "stale_institution_pages_removed": summary["stale_pages_removed"],
    })


TILE = re.compile(r'<div class="tile" data-metric="(\w+)" data-scope="([\w-]+)" data-period="([\w-]+)">\s*'
                  r'<div class="v">([^<]+)</div>')


def tile_figures(page: str) -> list[tuple[str, str, str, str]]:
    """(metric, scope, period, printed value) of each headline tile of the study page."""
    return TILE.findall(page)


@dg.asset_check(
    asset=REPORT_KEY,
    name="tiles_show_the_published_figures",
    description="Each headline tile of the report prints the published warehouse's figure for its metric.",
)
def tiles_show_the_published_figures(warehouse_settings: WarehouseSettings) -> dg.AssetCheckResult:
    settings = warehouse_settings.current
    tiles = tile_figures(report_path(settings.warehouse_path).read_text(encoding="utf-8"))
    wrong = []
    with connect(settings.warehouse_path, read_only=True) as con:
        for metric, scope, period, printed in tiles:
            row = con.execute("select value, unit from marts.headline_figures where metric = ? and scope = ? "
                              "and period = ?", [metric, scope, period]).fetchone()
            if row is None or fmt(row[0], row[1]) != printed:
                wrong.append(f"{metric} {scope} {period}: page {printed}, warehouse {row and fmt(row[0], row[1])}")
    return dg.AssetCheckResult(
        passed=bool(tiles) and not wrong,
        metadata={"tiles": len(tiles), "mismatched": "; ".join(wrong) or "none"},
    )


report_checks = [tiles_show_the_published_figures]
