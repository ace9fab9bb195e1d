"""The study report: data from the marts (data, institution_data), matplotlib charts (charts), the pages' content
(study, institutions), what the report consists of (build) and Jinja2 pages written beside the warehouse
(render)."""

from .build import build_report, write_institution_page
from .data import ReportInputError
from .render import Page, report_dir, report_path, write_pages

__all__ = ["Page", "ReportInputError", "build_report", "report_dir", "report_path", "write_institution_page",
           "write_pages"]
