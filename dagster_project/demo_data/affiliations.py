"""Raw affiliation strings for the demo's authorships, laid out as each OpenAlex schema era lays them out.

Every authorship with institutions gets one string per institution, naming it with a department, its city and its
country, as papers print them (demo_pool/places.csv: the city and country of each pool institution, from its
OpenAlex or ROR record). The layout follows the record's era: the 2021 records have one `raw_affiliation_string`,
later ones `raw_affiliation_strings`, and the records with `funders` (Nov 2025 on) also `affiliations[]`, each
string with the institutions OpenAlex resolved it to. Nothing here draws from the generator's random stream, so
the works and every other planted figure stay as they were.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

PLACES_FILE = Path(__file__).parent / "demo_pool" / "places.csv"
# Neutral departments: no risk-list name and no word of the review queue (var risk_review_terms) in any of them.
DEPARTMENTS = (
    "Department of Computer Science", "School of Electrical Engineering", "Institute for Artificial Intelligence",
    "Faculty of Mathematics and Informatics", "School of Information Science", "Department of Statistics",
)
# How Chinese strings name the country; each one places the author in mainland China (seed china_places).
CHINA_FORMS = ("China", "P.R. China", "People's Republic of China")
SYNTHETIC_SUFFIX = " (synthetic demo"  # the labs' and partners' names say they are synthetic; papers would not


@cache
def places() -> dict[str, tuple[str, str]]:
    """Short institution id -> (city, country)."""
    with PLACES_FILE.open(newline="", encoding="utf-8") as fh:
        return {r["institution_id"]: (r["city"], r["country"]) for r in csv.DictReader(fh)}


def short_id(openalex_or_ror_id: str | None) -> str | None:
    """The last path segment of an OpenAlex or ROR id URL ("I123", "05d2yfz11")."""
    return openalex_or_ror_id.rstrip("/").rsplit("/", 1)[-1] if openalex_or_ror_id else None


def string_for(inst: dict, n: int, k: int, place: tuple[str, str] | None = None) -> str:
    """The affiliation string of work `n`'s `k`th authorship at `inst`: department, name, city, country."""
    parent = (inst.get("lineage") or [inst["id"]])[0]  # a synthetic lab is where its parent is
    city, country = place or places().get(short_id(inst["id"])) or places().get(short_id(parent)) or (None, None)
    if inst.get("country_code") == "CN":
        country = CHINA_FORMS[(n + k) % len(CHINA_FORMS)]
    name = inst["display_name"].split(SYNTHETIC_SUFFIX)[0]
    parts = [DEPARTMENTS[(n + k) % len(DEPARTMENTS)], name, city, country]
    return ", ".join(p for p in parts if p)


def layout(record: dict) -> str:
    """How the record's era lays out its strings: 'single' (2021), 'list' (2023 on), 'per_string' (Nov 2025 on)."""
    if "host_venue" in record:
        return "single"
    return "per_string" if "funders" in record else "list"


def set_strings(record: dict, authorship: dict, strings: list[tuple[str, list[str]]]) -> None:
    """Give `authorship` these (string, resolved institution ids) in the record's layout."""
    for key in ("raw_affiliation_string", "raw_affiliation_strings", "affiliations"):
        authorship.pop(key, None)
    style = layout(record)
    if style == "single":
        if strings:
            authorship["raw_affiliation_string"] = "; ".join(s for s, _ in strings)
        return
    authorship["raw_affiliation_strings"] = [s for s, _ in strings]
    if style == "per_string":
        authorship["affiliations"] = [{"raw_affiliation_string": s, "institution_ids": ids} for s, ids in strings]


def strings_of(authorship: dict) -> list[tuple[str, list[str]]]:
    """The (string, institution ids) an authorship holds, whatever its layout (without per-string ids, each string
    takes the authorship's institutions, as staging reads it)."""
    if authorship.get("affiliations"):
        return [(a["raw_affiliation_string"], list(a.get("institution_ids") or [])) for a in authorship["affiliations"]]
    ids = [i["id"] for i in authorship.get("institutions") or [] if i.get("id")]
    listed = authorship.get("raw_affiliation_strings")
    if listed is None and authorship.get("raw_affiliation_string"):
        listed = [authorship["raw_affiliation_string"]]
    return [(s, ids) for s in listed or [] if s and s.strip()]


def dress(record: dict, n: int) -> None:
    """One string per institution on every authorship of work `n` (none where OpenAlex resolved nothing)."""
    for k, authorship in enumerate(record["authorships"]):
        insts = authorship["institutions"]
        set_strings(record, authorship, [(string_for(i, n, k), [i["id"]]) for i in insts])
