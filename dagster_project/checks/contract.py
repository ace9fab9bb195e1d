"""The raw layer's data contract: what each column of what enters from outside must satisfy, read from the dbt
source's yml (`dbt/models/staging/openalex/_openalex__sources.yml`, each column's `meta.contract`) via the manifest.

The Great Expectations suites that guard the raw assets are derived from it (checks/ge_validation.py), so each
rule is written once, in yml. The model layers' rules are dbt tests (generic tests in their yml, singular tests
in dbt/tests/), which reach Dagster as asset checks through dagster-dbt.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from ..resources import dbt_manifest
from ..settings import PROJECT_ROOT


@dataclass(frozen=True)
class Rule:
    column: str
    kind: str  # not_null | unique | regex | between | in_set
    severity: str  # error | warn
    regex: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    values: tuple | None = None

    @property
    def name(self) -> str:
        return f"{self.column}:{self.kind}"


def _rules_from_meta(column: str, contract: dict) -> list[Rule]:
    severity = contract.get("severity", "error")
    rules = []
    if contract.get("not_null"):
        rules.append(Rule(column, "not_null", severity))
    if contract.get("unique"):
        rules.append(Rule(column, "unique", severity))
    if "regex" in contract:
        rules.append(Rule(column, "regex", severity, regex=contract["regex"]))
    if "min" in contract or "max" in contract:
        rules.append(Rule(column, "between", severity, min_value=contract.get("min"), max_value=contract.get("max")))
    if "values" in contract:
        rules.append(Rule(column, "in_set", severity, values=tuple(contract["values"])))
    if "in_seed" in contract:  # e.g. iso_3166_countries.iso2: the allowed values are a seed's column
        rules.append(Rule(column, "in_set", severity, values=seed_values(contract["in_seed"]) + tuple(contract.get("extra_values", ()))))
    return rules


@cache
def seed_values(ref: str) -> tuple:
    seed, column = ref.split(".")
    with (PROJECT_ROOT / "seeds" / f"{seed}.csv").open(newline="", encoding="utf-8") as fh:
        return tuple(sorted({row[column] for row in csv.DictReader(fh) if row[column]}))


def source_rules(source: str, table: str) -> list[Rule]:
    node = dbt_manifest()["sources"][f"source.{dbt_manifest()['metadata'].get('project_name', 'eu_cn_ai')}.{source}.{table}"]
    rules = []
    for name, col in node.get("columns", {}).items():
        rules.extend(_rules_from_meta(name, (col.get("meta") or {}).get("contract") or {}))
    return rules
