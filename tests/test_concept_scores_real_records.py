"""The AI concept's score on real OpenAlex records: which in-scope works each AI definition keeps, in plain Python.

Real records list the AI concept (C154945302) at any score, zero included: OpenAlex assigns a concept from 0.3 up
and lists the ancestors of an assigned concept at lower scores (docs/definitions.md). This module works out, from
every real work of tests/fixtures/openalex/samples, the in-scope works (the study's years and language, not
retracted, not paratext; the latest version of each work) under each definition: the concept at any score, at a
score above 0, at a score of at least var ai_concept_min_score, an AI topic (subfield var ai_subfield_id), and
their combinations in the sensitivity figures. tests/test_real_records.py runs the whole job on the same records
and compares staging.stg_openalex__works with it; the tests here check the records hold every case.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from dagster_project.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.slow  # a whole job run

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "openalex" / "samples"
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


def _updated_at(rec: dict, partition: str) -> datetime:
    """A record's updated_date, or its partition's date when it has none (as the raw layer derives it)."""
    text = rec.get("updated_date") or partition
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def latest_works() -> dict[str, dict]:
    """The latest version of each real work of the samples, laid out as test_real_records lays them out (a file
    `works__<origin>__<date>.jsonl.gz` is part k of partition updated_date=<date>): the latest updated_date wins,
    then the later partition, then the later part."""
    best: dict[str, tuple] = {}
    parts: dict[tuple[str, str], int] = {}
    for path in sorted(SAMPLES.glob("*.jsonl.gz")):
        entity, _, date = path.name.removesuffix(".jsonl.gz").split("__")
        part = parts.get((entity, date), 0)
        parts[entity, date] = part + 1
        if entity != "works":
            continue
        for rec in _read(path):
            if not isinstance(rec.get("id"), str):
                continue
            key = (_updated_at(rec, date), date, part)
            work = _short(rec["id"])
            if work not in best or key > best[work][0]:
                best[work] = (key, rec)
    return {work: rec for work, (_, rec) in best.items()}


def in_scope(rec: dict) -> bool:
    year = rec.get("publication_year")
    if isinstance(year, float) and year.is_integer():  # some real API records write the year as 2020.0
        year = int(year)
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


def staged_work_ids(con, works: set[str]) -> dict[str, set[str]]:
    """Per AI definition, which of `works` (short ids) staging.stg_openalex__works keeps as in-scope AI works."""
    out = {}
    for name, rule in STAGING_RULES.items():
        rows = con.execute(f"select work_id from staging.stg_openalex__works where is_in_scope and {rule}").fetchall()
        out[name] = {_short(r[0]) for r in rows} & works
    return out


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
