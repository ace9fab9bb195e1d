"""What the dbt build's stored state was made from: fingerprints of the incremental models and of the reference
seeds, read from the manifest and recorded in `pipeline_state.build_fingerprints` once a build passed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..lib.duckdb_io import connect
from ..lib.pipeline_state import FINGERPRINTS, SCHEMA, ensure_schema
from ..settings import DBT_PROJECT_DIR


def seed_nodes(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "seed"}


def tests_seeds_only(manifest: Mapping[str, Any], unique_id: str) -> bool:
    node = manifest["nodes"].get(unique_id) or {}
    parents = node.get("depends_on", {}).get("nodes", [])
    return node.get("resource_type") == "test" and bool(parents) and all(p.startswith("seed.") for p in parents)


def _fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def reference_fingerprint(manifest: Mapping[str, Any]) -> str:
    """What the reference tables depend on: each seed's file checksum, config and columns, and every test on
    seeds alone with the macros it calls. Equal fingerprints mean reloading and retesting would change nothing."""
    nodes = manifest["nodes"]
    tests = {uid: node for uid, node in nodes.items() if tests_seeds_only(manifest, uid)}
    macros = sorted({m for node in tests.values() for m in node["depends_on"].get("macros", [])})
    return _fingerprint({
        "seeds": {uid: [node["checksum"], node["config"], node["columns"]] for uid, node in sorted(seed_nodes(manifest).items())},
        "tests": {uid: [node.get("test_metadata"), node.get("raw_code"), node["config"]] for uid, node in sorted(tests.items())},
        "macros": {m: manifest["macros"][m]["macro_sql"] for m in macros if m in manifest["macros"]},
    })


def incremental_fingerprint(manifest: Mapping[str, Any]) -> str:
    """What the incremental models' stored rows depend on besides the OpenAlex data: their SQL, config and
    columns, the project's macros (their hooks call some by name), the reference seeds and dbt_project.yml (the
    study's vars). A change means rebuilding them whole."""
    project = manifest["metadata"]["project_name"]
    return _fingerprint({
        "models": {uid: [node["checksum"], node["config"], node["columns"]] for uid, node in sorted(manifest["nodes"].items())
                   if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"},
        "macros": {uid: macro["macro_sql"] for uid, macro in sorted(manifest["macros"].items()) if macro["package_name"] == project},
        "seeds": {uid: node["checksum"] for uid, node in sorted(seed_nodes(manifest).items())},
        "dbt_project": (DBT_PROJECT_DIR / "dbt_project.yml").read_text(),
    })


def recorded_state(build_path: Path) -> tuple[dict[str, str], set[str]]:
    """From one read of the build database: the last fingerprint recorded of each kind, and the reference tables."""
    if not build_path.exists():
        return {}, set()
    with connect(build_path, read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_schema in (?, 'reference')",
            [SCHEMA]).fetchall()}
        fingerprints = {} if FINGERPRINTS not in tables else dict(con.execute(
            f"select kind, arg_max(fingerprint, recorded_at) from {FINGERPRINTS} group by kind").fetchall())
    return fingerprints, {t for t in tables if t.startswith("reference.")}


def record_fingerprints(build_path: Path, fingerprints: Mapping[str, str]) -> None:
    if not fingerprints:
        return
    with connect(build_path) as con:
        ensure_schema(con)
        con.executemany(f"insert into {FINGERPRINTS} values (?, ?, current_timestamp)", list(fingerprints.items()))
