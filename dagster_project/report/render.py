"""Rendering the report: Jinja2 templates (shipped in the package) to static pages beside the warehouse.

`write_pages` renders pages that extend `base.html` and writes each aside, then renames it into place;
`export_downloads` writes one CSV per mart for download (the Parquet copies are the publish step's). What the
report consists of is `build.py`'s.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from .data import ReportInputError

RUN_CHARS = 30  # characters of a run without spaces between two line-break opportunities


def breakable(text):
    """Text from the data as a heading or table cell shows it: escaped, with a line-break opportunity (`<wbr>`, no
    text of its own) after every RUN_CHARS characters of a run without spaces, so that a long run (a 2,000-character
    name) wraps instead of widening the page. Markup and numbers pass as they are."""
    if isinstance(text, Markup) or not isinstance(text, str):
        return text
    pieces = re.split(rf"(\S{{{RUN_CHARS}}})(?=\S)", text)  # odd pieces: a run's chunk that more of the run follows
    return Markup("").join(escape(p) + (Markup("<wbr>") if i % 2 else "") for i, p in enumerate(pieces))


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("dagster_project.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,  # a missing variable is an error, not a blank on the page
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["breakable"] = breakable
DOWNLOADS = "data"  # CSV copies of the marts, inside the report folder


@dataclass
class Page:
    """One page: the file it becomes (relative to the report folder), its template and its context."""

    path: str
    template: str
    context: dict


def report_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "report"


def report_path(warehouse_path: Path) -> Path:
    return report_dir(warehouse_path) / "index.html"


def render_page(page: Page, common: dict) -> str:
    root = "../" * page.path.count("/")  # relative links work from any depth and from file://
    return ENV.get_template(page.template).render(**common, **page.context, root=root)


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def write_pages(pages: list[Page], out_dir: Path, common: dict) -> dict[str, int]:
    """Render and write each page under out_dir; returns bytes written per page."""
    written = {}
    for page in pages:
        text = render_page(page, common)
        _write_atomic(out_dir / page.path, text)
        written[page.path] = len(text.encode())
    return written


def export_downloads(con, marts: list[str], warehouse_path: Path, out_dir: Path) -> list[dict]:
    """One CSV per mart under out_dir/data/, and the relative link to its published Parquet copy."""
    parquet_dir = warehouse_path.parent / "parquet"
    (out_dir / DOWNLOADS).mkdir(parents=True, exist_ok=True)
    downloads = []
    for mart in marts:
        parquet = parquet_dir / f"{mart}.parquet"
        if not parquet.is_file():
            raise ReportInputError(f"The study report links {parquet}, which the publish step did not write.")
        csv = out_dir / DOWNLOADS / f"{mart}.csv"
        tmp = csv.with_name(f".{csv.name}.{os.getpid()}.tmp")
        con.execute(f"copy (select * from marts.{mart}) to '{tmp}' (format csv, header)")
        os.replace(tmp, csv)
        rows = con.execute(f"select count(*) from marts.{mart}").fetchone()[0]
        downloads.append({"mart": mart, "rows": rows, "csv": f"{DOWNLOADS}/{mart}.csv",
                          "parquet": os.path.relpath(parquet, out_dir)})
    return downloads
