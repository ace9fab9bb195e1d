"""The one data contract: what each column must satisfy, read from the dbt project's yml via its manifest.

dbt runs the model tests itself (they reach Dagster as asset checks through dagster-dbt). The raw layer's
contract is the `meta.contract` of the `openalex` source's columns; model columns contribute their generic
tests (not_null, unique, accepted_values). Great Expectations suites are built from these rules, so a rule
is written once, in yml.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..assets.dbt import dbt_project

GENERIC_TESTS = ("not_null", "unique", "accepted_values")


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


@lru_cache(maxsize=1)
def manifest() -> dict:
    return json.loads(Path(dbt_project.manifest_path).read_text())


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
    return rules


def source_rules(source: str, table: str) -> list[Rule]:
    node = manifest()["sources"][f"source.{manifest()['metadata'].get('project_name', 'eu_cn_ai')}.{source}.{table}"]
    rules = []
    for name, col in node.get("columns", {}).items():
        rules.extend(_rules_from_meta(name, (col.get("meta") or {}).get("contract") or {}))
    return rules


def model_rules(model: str) -> list[Rule]:
    """Rules from the generic dbt tests on a model's columns, plus any `meta.contract`."""
    m = manifest()
    project = m["metadata"].get("project_name", "eu_cn_ai")
    node_id = f"model.{project}.{model}"
    rules: list[Rule] = []
    for name, col in m["nodes"][node_id].get("columns", {}).items():
        rules.extend(_rules_from_meta(name, (col.get("meta") or {}).get("contract") or {}))
    for test in m["nodes"].values():
        meta = test.get("test_metadata") or {}
        if test.get("resource_type") != "test" or meta.get("name") not in GENERIC_TESTS:
            continue
        if node_id not in test.get("depends_on", {}).get("nodes", []) or not test.get("column_name"):
            continue
        severity = "warn" if str(test.get("config", {}).get("severity", "error")).lower() == "warn" else "error"
        column = test["column_name"]
        if meta["name"] == "accepted_values":
            kwargs = meta.get("kwargs", {})
            values = kwargs.get("values") or (kwargs.get("arguments") or {}).get("values")
            rules.append(Rule(column, "in_set", severity, values=tuple(values)))
        else:
            rules.append(Rule(column, meta["name"], severity))
    return rules
