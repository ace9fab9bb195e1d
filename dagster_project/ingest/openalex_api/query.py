"""What the API fetch asks OpenAlex for: the study's scope (from the dbt vars and the countries seed) as pyalex queries.

Works are the AI works with at least one European and at least one Chinese institution. OpenAlex cannot OR two
different attributes, so there is one query per part of the AI definition (`concepts.id`, `topics.subfield.id`),
merged and deduplicated by id when landed. Europe is ONE OR-filter over its countries
(`authorships.institutions.country_code:AT|BE|…`) and China the same attribute again (`…country_code:CN`):
OpenAlex ANDs a repeated filter. A pyalex filter is a dict, which cannot hold a key twice, so the repeat is
written in pyalex's nested form (`authorships={"institutions": {"country_code": "CN"}}`): the same attribute on
the wire. Every filter goes through `filter_or`, so a list is an OR (`|`) and separate attributes are ANDed.

Denominators are `group_by=publication_year` counts per scope (Europe as one OR-filter, so a DE+FR work counts
once; CN; each European country). AI = concept OR subfield is counted as concept + subfield − (both).

Works and counts carry the same scope filters (years, language, not retracted, not paratext): counts cannot be
re-filtered later, and one population for numerator and denominator keeps staging's re-filtering a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyalex

from ...study_definitions import DBT_PROJECT_FILE, countries_flagged, dbt_vars

CHINA = "CN"
COUNTRY_FILTER = "authorships.institutions.country_code"
ENTITY_CLASSES = {"works": pyalex.Works, "institutions": pyalex.Institutions, "funders": pyalex.Funders}
STUDY_VARS = ("study_start_year", "study_end_year", "study_language", "ai_concept_id", "ai_subfield_id", "europe_definition")


@dataclass(frozen=True)
class Query:
    name: str
    entity: str  # works | institutions | funders
    filters: tuple[tuple[str, object], ...]

    def build(self):
        """A fresh pyalex query. Lists are ORs; a repeated attribute goes in nested form (ANDed by OpenAlex)."""
        spec: dict[str, object] = {}
        for key, value in self.filters:
            value = list(value) if isinstance(value, (list, tuple)) else value
            if key not in spec:
                spec[key] = value
                continue
            head, *rest = key.split(".")
            if head in spec or not rest:
                raise ValueError(f"filter {key} is repeated more than once")
            nested: object = value
            for part in reversed(rest):
                nested = {part: nested}
            spec[head] = nested
        return ENTITY_CLASSES[self.entity]().filter_or(**spec)

    @property
    def filter_string(self) -> str:
        """The `filter=` value sent, decoded."""
        return parse_qs(urlsplit(self.build().url).query)["filter"][0]


def ids_query(entity: str, ids: list[str]):
    """Records by id, at most 100 (the API's limit of OR values in one filter)."""
    return ENTITY_CLASSES[entity]().filter_or(openalex_id=list(ids))


def record_query(entity: str, record_id: str):
    """One record through its own endpoint (`/works/W123`): a work's whole record, its authorships never cut."""
    return ENTITY_CLASSES[entity](record_id)


def with_params(query, **params):
    """The same pyalex query with paging or grouping parameters added (`per_page` is sent as `per-page`)."""
    extra = {k.replace("_", "-"): v for k, v in params.items() if v is not None}
    return type(query)({**(query.params or {}), **extra})


@dataclass(frozen=True)
class CountQuery:
    scope: str  # EUROPE | CN | ISO2
    part: str  # concept | subfield | both
    query: Query

    @property
    def key(self) -> str:
        return f"{self.scope}|{self.part}"


def _read_vars(project_file: Path) -> dict:
    return dbt_vars(project_file, required=STUDY_VARS)


def europe_countries(definition: str, project_file: Path = DBT_PROJECT_FILE) -> tuple[str, ...]:
    """The ISO2 codes flagged 1 in the countries seed's column named by `definition` (e.g. europe_eu27_uk_efta)."""
    return countries_flagged(definition, project_file)


@dataclass(frozen=True)
class StudyScope:
    start_year: int
    end_year: int
    language: str | None
    ai_concept: str
    ai_subfield: str
    europe: tuple[str, ...]

    @classmethod
    def from_dbt(cls, project_file: Path = DBT_PROJECT_FILE) -> StudyScope:
        """The study's years, language, AI ids and Europe, from the dbt vars and the countries seed."""
        vars_ = _read_vars(project_file)
        return cls(
            start_year=int(vars_["study_start_year"]),
            end_year=int(vars_["study_end_year"]),
            language=vars_["study_language"] or None,
            ai_concept=str(vars_["ai_concept_id"]),
            ai_subfield=str(vars_["ai_subfield_id"]),
            europe=europe_countries(str(vars_["europe_definition"]), project_file),
        )

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def common_filters(self) -> list[tuple[str, object]]:
        filters: list[tuple[str, object]] = [("publication_year", f"{self.start_year}-{self.end_year}")]
        if self.language:
            filters.append(("language", self.language))
        return filters + [("is_retracted", False), ("is_paratext", False)]

    def ai_parts(self) -> dict[str, list[tuple[str, object]]]:
        concept = ("concepts.id", self.ai_concept)
        subfield = ("topics.subfield.id", self.ai_subfield)
        return {"concept": [concept], "subfield": [subfield], "both": [concept, subfield]}

    def works_queries(self) -> list[Query]:
        parts = self.ai_parts()
        return [
            Query(f"ai_{part}", "works", tuple(
                parts[part] + self.common_filters() + [(COUNTRY_FILTER, self.europe), (COUNTRY_FILTER, CHINA)]
            ))
            for part in ("concept", "subfield")
        ]

    def scopes(self) -> list[tuple[str, object]]:
        return [("EUROPE", self.europe), ("CN", CHINA)] + [(c, c) for c in self.europe]

    def count_queries(self) -> list[CountQuery]:
        parts = self.ai_parts()
        return [
            CountQuery(scope, part, Query(f"counts_{scope}_{part}", "works",
                                          tuple(parts[part] + self.common_filters() + [(COUNTRY_FILTER, value)])))
            for scope, value in self.scopes()
            for part in ("concept", "subfield", "both")
        ]

    def counts_query_text(self, scope_value) -> str:
        """The `query` of a work_counts row: the filters and how concept OR subfield was counted."""
        common = ",".join(f"{k}:{_filter_value(v)}" for k, v in self.common_filters() + [(COUNTRY_FILTER, scope_value)])
        return (f"group_by=publication_year; filter={common}; AI = concepts.id:{self.ai_concept} OR "
                f"topics.subfield.id:{self.ai_subfield}, counted as concept + subfield - (concept AND subfield)")

    def describe(self) -> dict:
        return {
            "years": [self.start_year, self.end_year], "language": self.language, "is_retracted": False,
            "is_paratext": False, "ai": {"concepts.id": self.ai_concept, "topics.subfield.id": self.ai_subfield},
            "europe": list(self.europe), "china": CHINA,
        }


def _filter_value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "|".join(value)
    return str(value)
