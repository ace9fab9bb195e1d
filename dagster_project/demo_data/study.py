"""The study's definitions as the demo needs them (read through dagster_project.study_definitions)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..study_definitions import DBT_PROJECT_FILE, countries_flagged, dbt_vars


@dataclass(frozen=True)
class StudyDefinitions:
    period: tuple[int, int]
    language: str
    ai_concept: str  # full OpenAlex id, as records carry it
    ai_subfield: str
    europe_definition: str
    europe: frozenset[str]
    china: frozenset[str]


@cache
def load(project_file: Path = DBT_PROJECT_FILE) -> StudyDefinitions:
    vars_ = dbt_vars(project_file, required=("study_start_year", "study_end_year", "study_language", "ai_concept_id",
                                             "ai_subfield_id", "europe_definition", "china_definition"))
    return StudyDefinitions(
        period=(int(vars_["study_start_year"]), int(vars_["study_end_year"])),
        language=str(vars_["study_language"]),
        ai_concept=f"https://openalex.org/{vars_['ai_concept_id']}",
        ai_subfield=str(vars_["ai_subfield_id"]),
        europe_definition=str(vars_["europe_definition"]),
        europe=frozenset(countries_flagged(str(vars_["europe_definition"]), project_file)),
        china=frozenset(countries_flagged(str(vars_["china_definition"]), project_file)),
    )
