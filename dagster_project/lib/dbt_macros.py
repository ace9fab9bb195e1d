"""A rule stated once as a dbt macro, read by Python too: the macro rendered with plain Jinja. Only for macros that
read nothing of dbt's context (no ref, var or adapter), which is what lets Python share them."""

from __future__ import annotations

import jinja2

from ..settings import DBT_PROJECT_DIR


def render_macro(file: str, name: str, *args: str) -> str:
    """The SQL that macro `name` of dbt/macros/`file` gives for `args`."""
    template = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / file).read_text(encoding="utf-8"))
    return str(getattr(template.module, name)(*args))
