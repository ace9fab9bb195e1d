"""What the report consists of: the study page, every mart to download, and one page per European institution
with their index. Everything is read from the published warehouse, read-only, before anything is written, so a
missing table or column leaves the previous report in place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from ..lib.owned_paths import owned_dir
from .changes import changes_page
from .data import read_report_data, require
from .figures import figure_pages, link_tiles, read_figure_works, write_figure_csvs
from .institution_data import Institution, read_institutions, share_ranking_min_works
from .institutions import FOLDER, INDEX, index_page, institution_pages
from .render import Page, export_downloads, report_dir, write_pages
from .study import study_context


def common_context(con, warehouse_path: Path) -> dict:
    """What every page's frame (base.html) shows: when, from which file, which data set, and whether synthetic."""
    require(con, "staging.stg_openalex__dataset", ("dataset_label", "is_synthetic"))
    label, synthetic = con.execute("select dataset_label, is_synthetic from staging.stg_openalex__dataset").fetchone()
    return {"generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "warehouse_path": str(warehouse_path),
            "dataset_label": label, "is_synthetic": bool(synthetic)}


@cache
def code_version() -> str:
    """A digest of the report package's code and templates: a page drawn by other code is drawn again."""
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.rglob("*")):
        if source.suffix in (".py", ".html", ".css"):
            digest.update(source.name.encode() + source.read_bytes())
    return digest.hexdigest()


def fingerprint(inst: Institution, levels: list[str], common: dict) -> str:
    """What an institution's page is drawn from: its rows of the marts, the page's frame, the share ranking's
    minimum (a dbt var) and the report's code."""
    frame = {k: v for k, v in common.items() if k != "generated_at"}
    facts = (code_version(), share_ranking_min_works(), levels, frame, inst.page, inst.profile, inst.years,
             inst.partners, inst.newest_works, inst.dual_use_works, inst.text_only_works)
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:32]


def _is_current(page: Path, print_: str) -> bool:
    """The page on disk was drawn from the same facts (its fingerprint sits in its head)."""
    try:
        with page.open(encoding="utf-8") as f:
            return f'<meta name="report-fingerprint" content="{print_}">' in f.read(2000)
    except FileNotFoundError:
        return False


def write_institution_page(con, warehouse_path: Path, institution_id: str, out_dir: Path | None = None) -> Path:
    """One institution's page (as the report writes it), for `make profile`; returns its path."""
    # The report folder beside the warehouse is the warehouse's own: made and marked here if `make profile` comes
    # first, refused (ForeignPathError) if someone else's folder is there.
    out_dir = out_dir or owned_dir(report_dir(warehouse_path))
    institutions, levels = read_institutions(con, only=institution_id)
    common = common_context(con, warehouse_path)
    pages = institution_pages(institutions, levels, {i.id: fingerprint(i, levels, common) for i in institutions})
    write_pages(pages, out_dir, common)
    return out_dir / pages[0].path


def _remove_stale(folder: Path, keep: set[str]) -> int:
    """Pages of institutions no longer profiled (another definition set, a newer snapshot) are removed."""
    stale = [p for p in folder.glob("*.html") if p.name not in keep] if folder.is_dir() else []
    for page in stale:
        page.unlink()
    return len(stale)


def build_report(warehouse_path: Path, out_dir: Path | None = None, progress: Callable[[str], None] | None = None,
                 redraw_all: bool = False) -> dict:
    """Render the study page and the institution pages from a published warehouse; returns a summary for the
    asset's metadata. `progress` hears how far the drawing got (the pages are most of the report's time).
    `redraw_all`: draw every institution page, not only those whose facts changed."""
    # Imported here: it brings Dagster, which `make profile` (write_institution_page) does not need.
    from ..lib.duckdb_io import connect

    out_dir = out_dir or owned_dir(report_dir(warehouse_path))
    with connect(warehouse_path, read_only=True) as con:
        data = read_report_data(con)
        institutions, levels = read_institutions(con)
        common = common_context(con, warehouse_path)
        downloads = export_downloads(con, data.marts, warehouse_path, out_dir)
        figures, parts = read_figure_works(con)
        changes = changes_page(con)
    context = study_context(data)
    link_tiles(context["tiles"], figures)  # a tile of works opens them (report/figures/)
    # Drawing a page's charts is most of the report's time: a page whose facts did not change is kept as it is.
    prints = {i.id: fingerprint(i, levels, common) for i in institutions}
    changed = [i for i in institutions if redraw_all or not _is_current(out_dir / FOLDER / i.page, prints[i.id])]
    pages = [*institution_pages(changed, levels, prints, progress), index_page(institutions),
             *figure_pages(figures, parts), changes]
    written = write_pages([Page("index.html", "study.html", {**context, "downloads": downloads}), *pages],
                          out_dir, common)
    stale = _remove_stale(out_dir / FOLDER, {"index.html", *(i.page for i in institutions)})
    figure_csvs = write_figure_csvs(figures, out_dir)
    return {
        "path": out_dir / "index.html",
        "sections": [s.id for s in context["sections"]],
        "charts": sum(len(s.charts) for s in context["sections"]),
        "synthetic": data.is_synthetic,
        "merics_figures": sum(1 for f in data.figures.values() if f.merics_value is not None),
        "downloads": len(downloads),
        "bytes": written["index.html"],
        "institution_pages": len(institutions),
        "institution_pages_drawn": len(changed),
        "institutions_index": out_dir / INDEX,
        "institution_pages_kib": round(sum((out_dir / FOLDER / i.page).stat().st_size for i in institutions) / 1024, 1),
        "stale_pages_removed": stale,
        "figure_pages": figure_csvs,
    }
