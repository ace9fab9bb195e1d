"""What the affiliation plants (plants.py) put in the demo, worked out in plain Python from what each planted string
names and from the institution records, never from the warehouse; planted_truth adds it to the figures.

* A stripped institution object is filled from the institution's record: what the work leaves out, never what it
  states (docs/definitions.md, Countries).
* Text evidence: each planted string names the listed entities its catalogue entry gives, and it is the evidence
  of the `affiliation_text` path on a Europe–China candidate work (a Chinese institution and a European one under
  any Europe definition), as int_affiliation_risk_names_matched's rules have it: placed in mainland China, resolved
  to no institution already matching that entity. Traps and the demo's own strings name nothing (the test of the
  matcher is that they stay so).
* The review queue (marts.risk_review_candidates) holds the planted unlisted partners and unresolved strings.
"""

from __future__ import annotations

import csv
from functools import cache

from dagster_project.demo_data.affiliations import short_id, strings_of
from dagster_project.demo_data.plants import REVIEW_PARTNERS, REVIEW_STRINGS, TEXT_EVIDENCE, review_partner_record
from dagster_project.demo_data.study import load as load_study
from dagster_project.settings import PROJECT_ROOT
from dagster_project.study_definitions import countries_flagged, dbt_vars

RISK_ENTITIES_SEED = PROJECT_ROOT / "seeds" / "risk_entities.csv"
FILLED_FIELDS = ("display_name", "ror", "country_code", "type", "lineage")
STUDY = load_study()


@cache
def entity_tags() -> dict[str, frozenset[str]]:
    """Per listed entity (seed risk_entities): pla, defence_linked, security_linked, aspi_very_high."""
    with RISK_ENTITIES_SEED.open(newline="", encoding="utf-8") as fh:
        return {r["entity_id"]: frozenset(t for t in ("pla", "defence_linked", "security_linked", "aspi_very_high")
                                          if r[f"is_{t}"].strip().lower() == "true")
                for r in csv.DictReader(fh)}


def records_by_id(pool) -> dict[str, dict]:
    return {i["id"]: i for i in pool.institutions()}


def filled(inst: dict, by_id: dict[str, dict]) -> dict:
    """The institution as the warehouse reads it: what the work states, the rest from its record."""
    record = by_id.get(inst.get("id"))
    if record is None:
        return inst
    stated = {k: v for k, v in inst.items() if v not in (None, "", [])}
    return {**{k: record.get(k) for k in FILLED_FIELDS}, **stated}


def institutions(rec: dict, by_id: dict[str, dict]) -> list[dict]:
    """Every institution object of the work's authorships, filled."""
    return [filled(i, by_id) for a in rec.get("authorships") or [] for i in a.get("institutions") or [] if i]


@cache
def _any_europe() -> frozenset[str]:
    return frozenset(c for e in dbt_vars(required=("europe_definitions",))["europe_definitions"]
                     for c in countries_flagged(e))


def is_candidate(rec: dict, by_id: dict[str, dict]) -> bool:
    """A Europe–China work under some definition (int_works_eu_cn_candidates), by its institutions' countries."""
    countries = {i.get("country_code") for i in institutions(rec, by_id)}
    return bool(countries & STUDY.china) and bool(countries & _any_europe())


def text_matches(rec: dict) -> list[tuple[str, str]]:
    """(affiliation string, entity id) for each planted string the work holds, as staging holds the string (the 2021
    records join an authorship's strings in one)."""
    return [(s, entity) for a in rec.get("authorships") or [] for s, _ids in strings_of(a)
            for evidence in TEXT_EVIDENCE if evidence.text in s for entity in evidence.entity_ids]


def text_tags(rec: dict) -> set[str]:
    """The tags the work's planted strings carry (the caller counts them on Europe–China works only)."""
    return set().union(*(entity_tags()[entity] for _s, entity in text_matches(rec)))


def _candidates(records: list[dict], by_id: dict[str, dict]) -> list[dict]:
    return sorted((r for r in records if is_candidate(r, by_id)), key=lambda r: r["id"])


def expected_review_candidates(records: list[dict], by_id: dict[str, dict]) -> list[dict]:
    """Rows of marts.risk_review_candidates: the planted partners (kind institution) and unresolved strings (kind
    affiliation_string) on Europe–China candidate works."""
    candidates = _candidates(records, by_id)
    rows = []
    for c in REVIEW_PARTNERS:
        partner = review_partner_record(c)["id"]
        works = [short_id(r["id"]) for r in candidates if any(i["id"] == partner for i in institutions(r, by_id))]
        rows.append(("institution", short_id(partner), c.name, c.terms, works))
    for c in REVIEW_STRINGS:
        works = [short_id(r["id"]) for r in candidates
                 if any(s == c.name and not ids for a in r["authorships"] for s, ids in strings_of(a))]
        rows.append(("affiliation_string", c.key, c.name, c.terms, works))
    return [{"candidate_kind": kind, "candidate_key": key, "candidate_name": name, "ror_id": None,
             "matched_terms": list(terms), "eu_cn_works": len(works), "example_work_ids": works[:5]}
            for kind, key, name, terms, works in rows if works]


def expected_affiliations(records: list[dict], pool) -> dict:
    """What the plants put in the records (`records`: the latest versions as written), for the tests: the rows of
    int_affiliation_risk_names_matched (work, string, entity), the review queue, the stripped institution objects,
    the authors listed twice, and the authorships per work and institution of the candidate works
    (int_work_institutions_classified: an author listed twice counts once)."""
    by_id = records_by_id(pool)
    matches, stripped, repeated, authorships = [], [], [], {}
    for rec in records:
        work = short_id(rec["id"])
        candidate = is_candidate(rec, by_id)
        if candidate:
            matches += [[work, s, entity] for s, entity in text_matches(rec)]
        stripped += [[work, short_id(i["id"])] for a in rec["authorships"] for i in a["institutions"]
                     if i.get("id") and not i.get("country_code")]
        ids = [(a.get("author") or {}).get("id") for a in rec["authorships"]]
        repeated += [[work, short_id(a)] for a in sorted({a for a in ids if a and ids.count(a) > 1})]
        if candidate:
            authors: dict[str, set[str]] = {}
            for k, a in enumerate(rec["authorships"]):
                for inst in a["institutions"]:
                    authors.setdefault(short_id(inst["id"]), set()).add((a.get("author") or {}).get("id") or f"position {k}")
            authorships |= {f"{work}|{inst}": len(who) for inst, who in authors.items()}
    return {"text_matches": sorted(matches), "review_candidates": expected_review_candidates(records, by_id),
            "stripped": sorted(stripped), "repeated_authors": sorted(repeated), "authorships": authorships}
