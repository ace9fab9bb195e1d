"""The study report: data from the marts (data), matplotlib charts (charts), the study page's content (study)
and Jinja2 pages written beside the warehouse (render)."""

from .data import ReportInputError
from .render import Page, build_report, report_dir, report_path, write_pages

__all__ = ["Page", "ReportInputError", "build_report", "report_dir", "report_path", "write_pages"]
