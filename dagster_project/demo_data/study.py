"""The study's definitions as the demo needs them, read from their one home: the dbt vars in
dbt/dbt_project.yml and the countries seed (seeds/countries.csv). Nothing here restates a definition."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ..settings import DBT_PROJECT_DIR, PROJECT_ROOT

COUNTRIES_SEED = PROJECT_ROOT / "seeds" / "countries.csv"


@dataclass(frozen=True)
class StudyDefinitions:
    period: tuple[int, int]
    language: str
    ai_concept: str  # full OpenAlex id, as records carry it
    ai_subfield: str
    europe_definition: str
    europe: frozenset[str]
    china: frozenset[str]


def _flagged(seed: Path, column: str) -> frozenset[str]:
    with seed.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or column not in rows[0]:
        raise ValueError(f"{seed}: no column {column!r} (named by the dbt var in {DBT_PROJECT_DIR / 'dbt_project.yml'})")
    return frozenset(r["iso2"] for r in rows if r[column].strip() == "1")


@cache
def load(project_file: Path = DBT_PROJECT_DIR / "dbt_project.yml", seed: Path = COUNTRIES_SEED) -> StudyDefinitions:
    vars_ = (yaml.safe_load(project_file.read_text()) or {}).get("vars") or {}
    missing = [v for v in ("study_start_year", "study_end_year", "study_language", "ai_concept_id", "ai_subfield_id",
                           "europe_definition", "china_definition") if v not in vars_]
    if missing:
        raise ValueError(f"{project_file}: vars {', '.join(missing)} are missing")
    return StudyDefinitions(
        period=(int(vars_["study_start_year"]), int(vars_["study_end_year"])),
        language=str(vars_["study_language"]),
        ai_concept=f"https://openalex.org/{vars_['ai_concept_id']}",
        ai_subfield=str(vars_["ai_subfield_id"]),
        europe_definition=str(vars_["europe_definition"]),
        europe=_flagged(seed, str(vars_["europe_definition"])),
        china=_flagged(seed, str(vars_["china_definition"])),
    )
