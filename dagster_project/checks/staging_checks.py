"""Great Expectations gates on staging models, for what dbt's generic tests cannot say.

The rules are the `meta.contract` entries of the staging models' columns (their yml), e.g. a country code
that must be in the ISO 3166 seed. The checks are blocking: a failure stops the marts in that run.
"""

import dagster as dg

from ..lib.duckdb_io import connect
from ..settings import load_settings
from ..resources import dbt_manifest
from .contract import contract_rules
from .great_expectations import ValidationOutcome, check_result, validate_table


def _staging_models_with_contracts() -> list[tuple[str, str]]:
    found = []
    for node in dbt_manifest()["nodes"].values():
        if node.get("resource_type") == "model" and node.get("schema") == "staging" and contract_rules(node["name"]):
            found.append((node["schema"], node["name"]))
    return sorted(found)


def validate_staging_model(schema: str, model: str, run_id: str) -> ValidationOutcome:
    settings = load_settings()
    with connect(settings.build_path) as con:  # writable: a pass records how far the rows were validated
        return validate_table(con, f"{schema}.{model}", contract_rules(model), settings.warehouse_path.parent / "validations", run_id)


def failed_staging_gates(run_id: str) -> list[str]:
    """The staging contracts that fail with severity error in this run (validating any not yet validated)."""
    return [
        f"{schema}.{model}: {', '.join(outcome.failed_rules)}"
        for schema, model in _staging_models_with_contracts()
        if (outcome := validate_staging_model(schema, model, run_id)).severity == "error"
    ]


def _ge_check(schema: str, model: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, model]),
        name="ge_contract",
        blocking=True,
        description=f"Great Expectations suite derived from the meta.contract of {model}'s columns (dbt yml).",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        rules = contract_rules(model)
        outcome = validate_staging_model(schema, model, context.run.run_id)
        return check_result(outcome, rules)

    return _check


staging_checks = [_ge_check(schema, model) for schema, model in _staging_models_with_contracts()]
