"""What sqlfluff's jinja templater needs, beyond its own dbt builtins, to render this project's models for lint:
the project's vars (read from dbt_project.yml, so SQL is linted as built) and dbt's `exceptions`."""

from pathlib import Path
from types import SimpleNamespace

import yaml

_VARS = yaml.safe_load((Path(__file__).resolve().parent.parent / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def var(name, default=None):
    return _VARS.get(name, default)


def _raise_compiler_error(message):
    raise ValueError(message)


exceptions = SimpleNamespace(raise_compiler_error=_raise_compiler_error)
