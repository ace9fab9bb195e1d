"""Run a contract's rules as a Great Expectations suite over a DuckDB table, in bounded batches (named so as not to
shadow the `great_expectations` package).

GE validates pandas frames read from DuckDB (its SQL route does not work on DuckDB). Uniqueness cannot be
judged batch by batch, so it is checked in SQL on the whole table and reported beside the GE result.

Rows never change once loaded (raw, `_loaded_at`) or built (the per-work models, `_built_at`): a table with such
a column has only its rows newer than the last validation that passed under the same rules validated, so a
refresh costs what it adds, not what the table holds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ..lib.owned_paths import owned_dir
from ..lib.pipeline_state import WATERMARKS, ensure_schema
from .contract import Rule

BATCH_ROWS = 250_000
SAMPLE_SIZE = 5  # failing values (and row ids) kept per failed rule


@dataclass
class ValidationOutcome:
    passed: bool
    severity: str  # the worst severity among failed rules ("error" | "warn"), or "none"
    failed_rules: list[str] = field(default_factory=list)
    unexpected: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    result_path: Path | None = None
    since: str | None = None  # only rows newer than this were validated (the earlier ones passed before)
    samples: dict[str, list] = field(default_factory=dict)  # per failed rule, a few failing values or row ids
    relation: str = ""


def _expectation(rule: Rule):
    import great_expectations as gx

    e = gx.expectations
    severity = "warning" if rule.severity == "warn" else "critical"
    if rule.kind == "not_null":
        return e.ExpectColumnValuesToNotBeNull(column=rule.column, severity=severity)
    if rule.kind == "regex":
        return e.ExpectColumnValuesToMatchRegex(column=rule.column, regex=rule.regex, severity=severity)
    if rule.kind == "between":
        return e.ExpectColumnValuesToBeBetween(column=rule.column, min_value=rule.min_value, max_value=rule.max_value, severity=severity)
    if rule.kind == "in_set":
        return e.ExpectColumnValuesToBeInSet(column=rule.column, value_set=list(rule.values), severity=severity)
    raise ValueError(f"no expectation for rule {rule.kind}")


def _since(con: duckdb.DuckDBPyConnection, relation: str, rules_key: str) -> tuple[str | None, object]:
    """(the column rows are stamped with, the stamp through which they passed these rules), if the table has one."""
    schema, table = relation.split(".")
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?", [schema, table]).fetchall()}
    column = next((c for c in ("_loaded_at", "_built_at") if c in columns), None)
    if column is None:
        return None, None
    ensure_schema(con)
    last = con.execute(
        f"select max(passed_through) from {WATERMARKS} where relation = ? and rules_key = ?", [relation, rules_key]).fetchone()[0]
    return column, last


def _ge_config():
    """An in-memory context with no usage statistics sent and no progress bars, set on the context itself."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return DataContextConfig(analytics_enabled=False, progress_bars=ProgressBarsConfig(globally=False),
                             store_backend_defaults=InMemoryStoreBackendDefaults())


def _sample(result: dict) -> list:
    """A few failing rows from a GE result: their ids and values when the table has ids, else the values."""
    rows = result.get("partial_unexpected_index_list") or result.get("partial_unexpected_list") or []
    return rows[:SAMPLE_SIZE]


def validate_table(
    con: duckdb.DuckDBPyConnection, relation: str, rules: list[Rule], results_dir: Path, run_id: str
) -> ValidationOutcome:
    name = relation.replace(".", "__")
    path = results_dir / f"{name}__{run_id}.json"
    if path.exists():  # validated already in this run (a gate and its asset check share one validation)
        saved = json.loads(path.read_text())
        return _outcome(relation, rules, saved["unexpected"], saved["rows"], path, saved.get("since"), saved.get("samples", {}))

    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral", project_config=_ge_config())
    batch_def = ctx.data_sources.add_pandas(name).add_dataframe_asset(name).add_batch_definition_whole_dataframe("batch")
    suite = gx.ExpectationSuite(name=f"{name}__contract")
    by_expectation: dict[tuple[str, str], Rule] = {}
    for rule in rules:
        if rule.kind == "unique":
            continue
        exp = _expectation(rule)
        suite.add_expectation(exp)
        by_expectation[(exp.expectation_type, rule.column)] = rule
    suite = ctx.suites.add(suite)
    validation = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{name}__validation", data=batch_def, suite=suite))

    columns = sorted({r.column for r in rules if r.kind != "unique"})
    rules_key = hashlib.sha256(json.dumps([r.__dict__ for r in rules], sort_keys=True, default=str).encode()).hexdigest()
    stamp, since = _since(con, relation, rules_key)
    where, params = (f"where {stamp} > ?", [since]) if since is not None else ("", [])
    total, through = con.execute(f"select count(*), {f'max({stamp})' if stamp else 'null'} from {relation} {where}", params).fetchone()
    unexpected: dict[str, int] = {}
    samples: dict[str, list] = {}
    results = []
    # A table with ids (the raw tables) names its failing rows by id.
    has_id = bool(con.execute(
        "select 1 from information_schema.columns where table_schema = ? and table_name = ? and column_name = 'id'",
        relation.split(".")).fetchone())
    result_format = {"result_format": "SUMMARY", **({"unexpected_index_column_names": ["id"]} if has_id else {})}
    col_sql = ", ".join(f'"{c}"' for c in sorted({*columns, *(["id"] if has_id else [])}))
    for offset in range(0, max(total, 1), BATCH_ROWS):
        if not columns:
            break
        df = con.execute(f"select {col_sql} from {relation} {where} limit {BATCH_ROWS} offset {offset}", params).df()
        res = validation.run(batch_parameters={"dataframe": df}, result_format=result_format)
        results.append(res.to_json_dict())
        for r in res.results:
            if not r.success:
                rule = by_expectation.get((r.expectation_config.type, r.expectation_config.kwargs.get("column")))
                key = rule.name if rule else r.expectation_config.type
                unexpected[key] = unexpected.get(key, 0) + int((r.result or {}).get("unexpected_count") or 1)
                samples[key] = (samples.get(key, []) + _sample(r.result or {}))[:SAMPLE_SIZE]
    for rule in rules:
        if rule.kind == "unique":
            dupes = con.execute(
                f'select "{rule.column}", count(*) as n_rows from {relation} group by 1 having count(*) > 1 order by 2 desc, 1'
            ).fetchall()
            if dupes:
                unexpected[rule.name] = sum(n for _, n in dupes)  # the rows that share a value
                samples[rule.name] = [{rule.column: v, "rows": n} for v, n in dupes[:SAMPLE_SIZE]]
    if stamp and through is not None and not unexpected:
        con.execute(f"insert into {WATERMARKS} values (?, ?, ?, ?)", [relation, rules_key, through, run_id])
    since_text = str(since) if since is not None else None
    owned_dir(results_dir)
    path.write_text(json.dumps({
        "relation": relation, "run_id": run_id, "validated_at": datetime.now(UTC).isoformat(),
        "rows": total, "since": since_text, "rules": [r.__dict__ for r in rules], "unexpected": unexpected, "samples": samples,
        "ge_results": results,
    }, default=str, indent=1))
    return _outcome(relation, rules, unexpected, total, path, since_text, json.loads(json.dumps(samples, default=str)))


def _outcome(relation: str, rules: list[Rule], unexpected: dict[str, int], rows: int, path: Path, since: str | None = None,
             samples: dict[str, list] | None = None) -> ValidationOutcome:
    warn_only = {r.name for r in rules if r.severity == "warn"}
    # An unexpected result that maps to no rule counts as an error: a gate must not pass by accident.
    severity = "none" if not unexpected else "warn" if set(unexpected) <= warn_only else "error"
    return ValidationOutcome(not unexpected, severity, sorted(unexpected), unexpected, rows, path, since, samples or {},
                             relation)


def failure_text(outcome: ValidationOutcome) -> str:
    """One sentence per failed rule: the rule, how many rows break it, and a few of them."""
    return " ".join(
        f"{outcome.relation}: rule {rule} fails on {outcome.unexpected[rule]} row(s), e.g. "
        f"{json.dumps(outcome.samples.get(rule, []), default=str)}." for rule in outcome.failed_rules)


def check_result(outcome: ValidationOutcome, rules: list[Rule]):
    """A validation as a Dagster asset check result, with the GE result file linked."""
    import dagster as dg

    text = failure_text(outcome)
    if text:
        dg.get_dagster_logger().warning(f"Contract failed: {text}")
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.WARN if outcome.severity == "warn" else dg.AssetCheckSeverity.ERROR,
        description=text or f"All {len(rules)} rules hold on {outcome.rows} rows.",
        metadata={
            "rules": len(rules), "rows": outcome.rows, "failed_rules": ", ".join(outcome.failed_rules) or "none",
            "rows_newer_than": outcome.since or "all rows",
            "unexpected": dg.MetadataValue.json(outcome.unexpected),
            "failing_samples": dg.MetadataValue.json(outcome.samples) if outcome.samples else "none",
            "ge_result": dg.MetadataValue.path(str(outcome.result_path)),
        },
    )
