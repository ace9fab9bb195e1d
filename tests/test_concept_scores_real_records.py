"""The AI concept's score on real OpenAlex records: how many in-scope works each AI definition keeps.

Real records list the AI concept (C154945302) at any score, zero included: OpenAlex assigns a concept from 0.3 up
and lists the ancestors of an assigned concept at lower scores (docs/definitions.md). The real works of
tests/fixtures/openalex go into a snapshot in a temp folder, the full_refresh job (Dagster, dbt) builds the
warehouse from them, and staging.stg_openalex__works must keep, per AI definition, exactly the works plain
Python finds in the records: the concept at any score, at a score above 0, at a score of at least var
ai_concept_min_score, and an AI topic (subfield var ai_subfield_id), among the in-scope works (the study's years
and language, not retracted, not paratext; the latest version of each work).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.demo_data import generator as demo
from dagster_project.demo_data.snapshot import write_jsonl_gz
from dagster_project.settings import DBT_PROJECT_DIR
from tests.conftest import set_warehouse_env

pytestmark = pytest.mark.slow  # one whole-job Dagster run

SYNTHETIC_WORKS = 300

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openalex"
VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
AI_CONCEPT = VARS["ai_concept_id"]
MIN_SCORE = float(VARS["ai_concept_min_score"])
# AI definition -> the staging flags that select its works (each definition's rule in stg_openalex__works' columns).
STAGING_RULES = {
    "concept_any_score": "has_ai_concept",
    "concept_score_above_0": "coalesce(ai_concept_score > 0, false)",
    "concept_score_at_least_min": f"coalesce(ai_concept_score >= {MIN_SCORE}, false)",
    "ai_topic": "has_ai_topic",
    # The AI definitions of the sensitivity figures that combine them (dbt macro is_ai_work).
    "concept_or_topic": "(has_ai_concept or has_ai_topic)",
    "concept_scored_or_topic": "(coalesce(ai_concept_score > 0, false) or has_ai_topic)",
    "concept_assigned_or_topic": f"(coalesce(ai_concept_score >= {MIN_SCORE}, false) or has_ai_topic)",
    # The widest: what the raw layer may keep of a work at most (its universe) and every definition's superset.
    "any_ai_definition": "(has_ai_concept or has_ai_topic or has_ai_primary_topic or has_broad_ai_topic)",
}


def _short(value) -> str:
    return str(value or "").rstrip("/").rsplit("/", 1)[-1].upper()


def _read(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def latest_works() -> dict[str, dict]:
    """The latest version of each real work (by updated_date) across every fixture file."""
    latest: dict[str, dict] = {}
    for path in sorted(FIXTURES.glob("works__*.jsonl.gz")):
        for rec in _read(path):
            old = latest.get(rec["id"])
            if old is None or (rec.get("updated_date") or "") > (old.get("updated_date") or ""):
                latest[rec["id"]] = rec
    return latest


def in_scope(rec: dict) -> bool:
    year = rec.get("publication_year")
    return (isinstance(year, int) and VARS["study_start_year"] <= year <= VARS["study_end_year"]
            and rec.get("language") == VARS["study_language"] and not rec.get("is_retracted") and not rec.get("is_paratext"))


def ai_concept_scores(rec: dict) -> list[float | None]:
    return [c.get("score") for c in rec.get("concepts") or [] if _short(c.get("id")) == AI_CONCEPT.upper()]


def python_definitions(rec: dict) -> dict[str, bool]:
    scores = [s for s in ai_concept_scores(rec) if s is not None]
    best = max(scores) if scores else None
    subfields = {_short((t.get("subfield") or {}).get("id")) for t in rec.get("topics") or [] if t}
    primary = _short(((rec.get("primary_topic") or {}).get("subfield") or {}).get("id"))
    out = {
        "concept_any_score": bool(ai_concept_scores(rec)),
        "concept_score_above_0": best is not None and best > 0,
        "concept_score_at_least_min": best is not None and best >= MIN_SCORE,
        "ai_topic": str(VARS["ai_subfield_id"]) in subfields,
    }
    out["concept_or_topic"] = out["concept_any_score"] or out["ai_topic"]
    out["concept_scored_or_topic"] = out["concept_score_above_0"] or out["ai_topic"]
    out["concept_assigned_or_topic"] = out["concept_score_at_least_min"] or out["ai_topic"]
    ai_subfields = {str(VARS["ai_subfield_id"]), str(VARS["ai_broad_extra_subfield_id"])}
    out["any_ai_definition"] = out["concept_or_topic"] or bool((subfields | {primary}) & ai_subfields)
    return out


def expected_work_ids() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {name: set() for name in STAGING_RULES}
    for work_id, rec in latest_works().items():
        if in_scope(rec):
            for name, hit in python_definitions(rec).items():
                if hit:
                    out[name].add(_short(work_id))
    return out


def build_snapshot(root: Path) -> None:
    """Each fixture file of works (and the full institution and funder objects beside them) becomes one partition,
    named by the latest updated_date of its records."""
    files = [("works", p) for p in sorted(FIXTURES.glob("works__*.jsonl.gz"))] + [
        (entity, p) for entity in ("institutions", "funders") for p in sorted(FIXTURES.glob(f"{entity}__*.jsonl.gz"))]
    for k, (entity, path) in enumerate(files):
        date = max(r["updated_date"] for r in _read(path))[:10]
        part = root / "data" / "jsonl" / entity / f"updated_date={date}" / f"part_{k:04d}.gz"
        part.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, part)
    # No real record is an in-scope Europe–China AI work (PROVENANCE.md), and the publish guard rightly refuses a
    # warehouse without one: a partition of synthetic works fills that slice. They are told apart by id.
    synthetic, _ = demo.generate_records(SYNTHETIC_WORKS, seed=17)
    write_jsonl_gz(root / "data" / "jsonl" / "works" / "updated_date=2026-06-01" / "part_9999.gz", synthetic)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("concept_scores")
    build_snapshot(root / "snapshot")
    real = {_short(work_id) for work_id in latest_works()}
    set_warehouse_env(mp, root, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(root / "snapshot"))
    try:
        from dagster_project.definitions import defs
        from dagster_project.settings import load_settings

        graph = defs.resolve_asset_graph()
        after_publish = dg.AssetSelection.assets(dg.AssetKey(["warehouse", "published"])).downstream(include_self=False)
        result = defs.resolve_job_def("full_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            asset_selection=sorted((dg.AssetSelection.all() - after_publish).resolve(graph), key=str),
        )
        failed = [e.message for e in result.all_events if e.is_failure]
        assert result.success, failed[:3]
        got = {}
        with duckdb.connect(str(load_settings().build_path), read_only=True) as con:
            for name, rule in STAGING_RULES.items():
                got[name] = {_short(r[0]) for r in con.execute(
                    f"select work_id from staging.stg_openalex__works where is_in_scope and {rule}").fetchall()} & real
        yield got
    finally:
        mp.undo()


def test_each_ai_definition_keeps_the_same_in_scope_real_works_as_python_finds(staged):
    want = expected_work_ids()
    for name in STAGING_RULES:
        assert staged[name] == want[name], (name, sorted(staged[name] - want[name]), sorted(want[name] - staged[name]))
    # Not degenerate: the widest definition keeps works the study's own drops (a topic in the broad subfield only).
    assert want["concept_or_topic"] < want["any_ai_definition"]


def test_real_records_list_the_ai_concept_at_zero_below_and_above_the_threshold():
    """The fixtures hold every case the score definitions separate, so the test above can fail."""
    want = expected_work_ids()
    assert want["concept_score_at_least_min"] < want["concept_score_above_0"] < want["concept_any_score"]
    assert want["concept_assigned_or_topic"] < want["concept_scored_or_topic"] < want["concept_or_topic"]
    counts = {name: len(ids) for name, ids in want.items()}
    zero = [rec for rec in latest_works().values() if in_scope(rec)
            and ai_concept_scores(rec) and max(s or 0 for s in ai_concept_scores(rec)) == 0]
    # An in-scope work listing the concept at 0 without an AI topic is AI only under the any-score definitions.
    assert any(not python_definitions(rec)["ai_topic"] for rec in zero), counts
