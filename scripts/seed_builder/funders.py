"""chinese_funders, chinese_funder_fundref_ids and funding_programmes."""

from __future__ import annotations

import re
from pathlib import Path

from .files import normalise_ror, read_csv

FUNDER_COLUMNS = [
    "ror_id", "name", "name_zh", "acronyms", "funder_category", "government_level", "is_chinese_government",
    "is_state_owned_enterprise", "is_defence_related", "fundref_preferred", "fundref_all", "fundref_count",
    "risk_entity_id", "notes", "ror_records_release",
]
FUNDREF_COLUMNS = ["fundref_id", "ror_id", "is_preferred", "is_primary", "fundref_doi", "funder_name"]
FUNDREF_ID = re.compile(r"^(100|5011)[0-9]{5,8}$")
PROGRAMME_COLUMNS = ["programme_key", "text", "lang", "match_type", "civil_or_defence", "notes"]


def fundref_ids(r: dict, ror_id: str) -> tuple[list[str], str]:
    """(all the funder's Crossref Funder Registry ids, the preferred one), checked."""
    ids = [i for i in r["fundref_all"].split("|") if i]
    preferred = r["fundref_preferred"]
    for fundref in ids + ([preferred] if preferred else []):
        if not FUNDREF_ID.match(fundref):
            raise ValueError(f"chinese_funders.csv {ror_id}: malformed FundRef id {fundref!r}")
    if preferred and preferred not in ids:
        raise ValueError(f"chinese_funders.csv {ror_id}: preferred FundRef id not in fundref_all")
    return ids, preferred


def build_funders(ref: Path, entities: list[dict]) -> tuple[list[dict], list[dict]]:
    entity_by_ror = {e["ror_id"]: e["entity_id"] for e in entities if e["ror_id"]}
    funders, fundref_rows = [], []
    for r in read_csv(ref / "chinese_funders.csv"):
        ror_id = normalise_ror(r["ror_id"])
        if r["chinese_government"] not in {"yes", "no", "state_owned_enterprise"} or r["defence_related"] not in {"yes", "no"}:
            raise ValueError(f"chinese_funders.csv {ror_id}: unexpected flag value")
        ids, preferred = fundref_ids(r, ror_id)
        funders.append({
            "ror_id": ror_id, "name": r["name"], "name_zh": r["name_zh"], "acronyms": r["acronyms"],
            "funder_category": r["funder_category"], "government_level": r["government_level"],
            "is_chinese_government": r["chinese_government"] == "yes",
            "is_state_owned_enterprise": r["chinese_government"] == "state_owned_enterprise",
            "is_defence_related": r["defence_related"] == "yes",
            "fundref_preferred": preferred, "fundref_all": "|".join(ids), "fundref_count": len(ids),
            "risk_entity_id": entity_by_ror.get(ror_id, ""), "notes": r["notes"],
            "ror_records_release": r["ror_records_release"],
        })
        for fundref in ids:
            fundref_rows.append({
                "fundref_id": fundref, "ror_id": ror_id, "is_preferred": fundref == preferred,
                "is_primary": fundref == preferred or (not preferred and len(ids) == 1),
                "fundref_doi": f"10.13039/{fundref}", "funder_name": r["name"],
            })
    fundref_rows.sort(key=lambda x: (x["ror_id"], not x["is_preferred"], x["fundref_id"]))
    return funders, fundref_rows


def build_programmes(ref: Path) -> list[dict]:
    rows = read_csv(ref / "funding_programme_name_variants.csv")
    for r in rows:
        if r["match_type"] not in {"name", "acronym", "award_id_prefix"} or r["civil_or_defence"] not in {"civil", "defence"}:
            raise ValueError(f"funding_programme_name_variants.csv: unexpected value in {r}")
    return [{c: r[c] for c in PROGRAMME_COLUMNS} for r in rows]
