"""What the report consists of: the study page, every mart to download, and one page per European institution
with their index. Everything is read from the published warehouse, read-only, before anything is written, so a
missing table or column leaves the previous report in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..lib.duckdb_io import connect
from .data import read_report_data, require
from .institution_data import read_institutions
from .institutions import FOLDER, INDEX, institution_pages
from .render import Page, export_downloads, report_dir, write_pages
from .study import study_context


def common_context(con, warehouse_path: Path) -> dict:
    """What every page's frame (base.html) shows: when, from which file, which data set, and whether synthetic."""
    require(con, "staging.stg_openalex__dataset", ("dataset_label", "is_synthetic"))
    label, synthetic = con.execute("select dataset_label, is_synthetic from staging.stg_openalex__dataset").fetchone()
    return {"generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "warehouse_path": str(warehouse_path),
            "dataset_label": label, "is_synthetic": bool(synthetic)}


def write_institution_page(con, warehouse_path: Path, institution_id: str, out_dir: Path | None = None) -> Path:
    """One institution's page (as the report writes it), for `make profile`; returns its path."""
    out_dir = out_dir or report_dir(warehouse_path)
    institutions, levels = read_institutions(con, only=institution_id)
    pages = institution_pages(institutions, levels, with_index=False)
    write_pages(pages, out_dir, common_context(con, warehouse_path))
    return out_dir / pages[0].path


def _remove_stale(folder: Path, keep: set[str]) -> int:
    """Pages of institutions no longer profiled (another definition set, a newer snapshot) are removed."""
    stale = [p for p in folder.glob("*.html") if p.name not in keep] if folder.is_dir() else []
    for page in stale:
        page.unlink()
    return len(stale)


def build_report(warehouse_path: Path, out_dir: Path | None = None) -> dict:
    """Render the study page and the institution pages from a published warehouse; returns a summary for the
    asset's metadata."""
    out_dir = out_dir or report_dir(warehouse_path)
    with connect(warehouse_path, read_only=True) as con:
        data = read_report_data(con)
        institutions, levels = read_institutions(con)
        common = common_context(con, warehouse_path)
        downloads = export_downloads(con, data.marts, warehouse_path, out_dir)
    context = study_context(data)
    pages = institution_pages(institutions, levels)
    written = write_pages([Page("index.html", "study.html", {**context, "downloads": downloads}), *pages],
                          out_dir, common)
    stale = _remove_stale(out_dir / FOLDER, {Path(p.path).name for p in pages})
    return {
        "path": out_dir / "index.html",
        "sections": [s.id for s in context["sections"]],
        "charts": sum(len(s.charts) for s in context["sections"]),
        "synthetic": data.is_synthetic,
        "merics_figures": sum(1 for f in data.figures.values() if f.merics_value is not None),
        "downloads": len(downloads),
        "bytes": written["index.html"],
        "institution_pages": len(institutions),
        "institutions_index": out_dir / INDEX,
        "institution_pages_kib": round(sum(n for p, n in written.items() if p.startswith(f"{FOLDER}/")) / 1024, 1),
        "stale_pages_removed": stale,
    }
