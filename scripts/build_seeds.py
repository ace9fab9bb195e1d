"""Rebuild the dbt seeds (seeds/*.csv) from the shared reference data.

Maintenance script, run by hand when the shared reference data changes:
    python scripts/build_seeds.py ../shared
It reads <shared>/reference-data/*.csv (and <shared>/openalex-samples/*.jsonl, only to verify the OpenAlex
topic ids of the dual-use list) and writes the seed CSVs under seeds/. Nothing reads ../shared at run time:
the committed seeds are the copies. Standard library only. Two modules beside it hold builders of their own:
seed_pla_medical.py (the PLA hospitals and PLA-run bodies added from the ROR subset) and seed_names.py (the
name seeds of the affiliation-text matcher: risk_entity_names, risk_name_collisions, china_places).

Every ROR id read is passed through `normalise_ror`, which repairs URL forms (including the doubled
`https://ror.org/https://ror.org/...` seen in real OpenAlex snapshot lines) and rejects anything that is not a
well-formed ROR id with a valid checksum.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling builders, also when this file is loaded by path
from seed_names import COLLISION_COLUMNS, NAME_COLUMNS, PLACE_COLUMNS, build_name_seeds  # noqa: E402
from seed_pla_medical import pla_body_rows  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

ROR_ID = re.compile(r"^0[a-z0-9]{6}[0-9]{2}$")
ROR_URL_PREFIX = re.compile(r"^(?:(?:https?://)?(?:www\.)?ror\.org/)+", re.IGNORECASE)
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"  # ROR ids use Crockford base32 (no i, l, o, u)

# ---------------------------------------------------------------------------------------------------------
# ROR ids
# ---------------------------------------------------------------------------------------------------------


def ror_checksum_ok(ror_id: str) -> bool:
    """ROR ids end in an ISO 7064 mod 97-10 checksum of the 6 base32 characters after the leading 0."""
    if not ROR_ID.match(ror_id) or any(ch not in CROCKFORD for ch in ror_id[1:7]):
        return False
    number = 0
    for ch in ror_id[1:7]:
        number = number * 32 + CROCKFORD.index(ch)
    return ror_id[7:] == f"{98 - (number * 100) % 97:02d}"


def normalise_ror(value: str | None) -> str:
    """`https://ror.org/05d2yfz11`, `ror.org/05d2yfz11/`, `https://ror.org/https://ror.org/05d2yfz11` or
    ` 05D2YFZ11 ` -> `05d2yfz11`; empty -> ``. Raises ValueError for anything else (never guesses)."""
    text = (value or "").strip()
    if not text:
        return ""
    candidate = ROR_URL_PREFIX.sub("", text).rstrip("/").lower()
    if not ror_checksum_ok(candidate):
        raise ValueError(f"not a well-formed ROR id (format or checksum): {value!r}")
    return candidate


# ---------------------------------------------------------------------------------------------------------
# Reading and writing
# ---------------------------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def write_csv(name: str, columns: list[str], rows: list[dict], out_dir: Path) -> int:
    path = out_dir / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n", extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: fmt(row.get(c)) for c in columns})
    return len(rows)


def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"['’`]", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


# ---------------------------------------------------------------------------------------------------------
# countries
# ---------------------------------------------------------------------------------------------------------

COUNTRY_COLUMNS = [
    "iso2", "iso3", "name", "eu_code", "eu27", "eea", "efta", "uk", "europe_eu27_uk", "europe_eu27_uk_ch_no",
    "europe_eu27_uk_efta", "china_mainland", "china_incl_hk_mo", "notes", "is_hk_mo_tw", "reported_separately_note",
]
COUNTRY_FLAGS = COUNTRY_COLUMNS[4:13]
SEPARATE = {
    "HK": "Hong Kong SAR: reported separately from CN by default (not counted as China); included only by the "
          "china_incl_hk_mo variant.",
    "MO": "Macao SAR: reported separately from CN by default (not counted as China); included only by the "
          "china_incl_hk_mo variant.",
    "TW": "Taiwan: reported separately from CN, never counted as China under any definition.",
}


def build_countries(ref: Path) -> list[dict]:
    rows = []
    for r in read_csv(ref / "country_groups.csv"):
        for flag in COUNTRY_FLAGS:
            if r[flag] not in {"0", "1"}:
                raise ValueError(f"country_groups.csv {r['iso2']}.{flag} is not 0/1: {r[flag]!r}")
        rows.append({
            **{c: r[c] for c in COUNTRY_COLUMNS[:14]},
            "is_hk_mo_tw": 1 if r["iso2"] in SEPARATE else 0,
            "reported_separately_note": SEPARATE.get(r["iso2"], ""),
        })
    return rows


# ---------------------------------------------------------------------------------------------------------
# risk entities and their units
# ---------------------------------------------------------------------------------------------------------

ENTITY_GROUPS = [
    "pla_academy", "pla_service_university", "pla_cmc_university", "pla_medical", "pla_research", "pla_parent_org",
    "seven_sons", "seven_sons_unit", "nuclear_weapons_program", "state_defence_agency",
    "defence_industry_conglomerate", "public_state_security", "peoples_armed_police", "civilian_university",
]
PLA_GROUPS = {g for g in ENTITY_GROUPS if g.startswith("pla_")}
DEFENCE_GROUPS = PLA_GROUPS | {
    "seven_sons", "seven_sons_unit", "nuclear_weapons_program", "state_defence_agency", "defence_industry_conglomerate",
}
SECURITY_GROUPS = {"public_state_security", "peoples_armed_police"}
TAGS = ["pla", "defence_linked", "security_linked", "aspi_very_high"]

# seven_sons_and_pla_core.csv `group` -> entity_group (the *_child rows become risk_entity_units).
CORE_GROUP_MAP = {
    "seven_sons": "seven_sons", "pla_cmc_university": "pla_cmc_university",
    "pla_service_university": "pla_service_university", "pla_medical": "pla_medical", "pla_research": "pla_research",
    "pla_academy": "pla_academy", "pla_parent_org": "pla_parent_org",
    "nuclear_weapons_program": "nuclear_weapons_program", "state_defence_agency": "state_defence_agency",
}
CORE_CHILD_GROUPS = {"seven_sons_child", "pla_child"}
# aspi_china_defence_universities_2019.csv `group` -> entity_group (`pla` is refined, see aspi_pla_group).
ASPI_GROUP_MAP = {
    "seven_sons": "seven_sons", "nuclear_weapons_program": "nuclear_weapons_program",
    "defence_industry_conglomerate": "defence_industry_conglomerate", "security_mss_mps_ccp": "public_state_security",
    "peoples_armed_police": "peoples_armed_police", "civilian_university": "civilian_university",
}
# docs/definitions.md overrides a source list's group (recorded in lists_disagree / disagreement_note).
STUDY_OVERRIDES = {
    "011gh0524": (
        "peoples_armed_police",
        "seven_sons_and_pla_core lists the People's Armed Police under state_defence_agency (defence_linked); "
        "the ASPI list groups PAP bodies as peoples_armed_police (ASPI category Military) and docs/definitions.md makes the "
        "People's Armed Police security_linked: resolved by docs/definitions.md to peoples_armed_police (security_linked, "
        "not defence_linked).",
    ),
}
ASPI_AS_OF = "2020-08-22"  # MISP galaxy scrape of unitracker.aspi.org.au (2019/2020 edition)
CORE_AS_OF = "2025-11-25"  # compiled list (reference-data build date)
RISK_LEVELS = ["very high", "high", "medium", "low"]


def aspi_pla_group(name: str) -> str:
    """ASPI puts every PLA body in one `pla` group; entities only in the ASPI list get a pla_* subgroup by name,
    following how seven_sons_and_pla_core groups the ones it lists."""
    lowered = name.lower()
    if "medical" in lowered:
        return "pla_medical"
    if "research" in lowered or "institute" in lowered or "center" in lowered:
        return "pla_research"
    if "university" in lowered:
        return "pla_service_university"
    return "pla_academy"


def flags_for(group: str, risk_level: str) -> dict:
    flags = {
        "is_pla": group in PLA_GROUPS,
        "is_defence_linked": group in DEFENCE_GROUPS,
        "is_security_linked": group in SECURITY_GROUPS,
        "is_aspi_very_high": risk_level == "very high",
    }
    flags["tags"] = "|".join(
        tag for tag, on in zip(TAGS, [flags["is_pla"], flags["is_defence_linked"], flags["is_security_linked"],
                                     flags["is_aspi_very_high"]], strict=True) if on
    )
    return flags


RISK_ENTITY_COLUMNS = [
    "entity_id", "ror_id", "name_en", "name_zh", "entity_group", "aspi_risk_level", "aspi_risk_level_source",
    "is_pla", "is_defence_linked", "is_security_linked", "is_aspi_very_high", "tags", "source_lists", "source_url",
    "as_of_date", "lists_disagree", "disagreement_note", "entity_group_basis", "core_group", "aspi_group",
    "aspi_name_en", "aspi_name_zh", "aspi_categories", "supervising_agencies", "aliases", "aspi_topics", "aspi_url",
    "ror_name", "ror_match", "ror_record_in_subset", "ror_status", "notes",
]


def build_risk_entities(ref: Path, ror_records: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """Both source lists merged, plus the PLA hospitals and PLA-run bodies that only the ROR subset shows
    (seed_pla_medical.PLA_BODIES)."""
    core_rows = read_csv(ref / "seven_sons_and_pla_core.csv")
    aspi_rows = read_csv(ref / "aspi_china_defence_universities_2019.csv")
    for r in core_rows:
        r["ror_id"], r["parent_ror_id"] = normalise_ror(r["ror_id"]), normalise_ror(r["parent_ror_id"])
    for r in aspi_rows:
        r["ror_id"] = normalise_ror(r["ror_id"])

    aspi_by_url = {r["aspi_url"]: r for r in aspi_rows}
    aspi_by_ror = {r["ror_id"]: r for r in aspi_rows if r["ror_id"]}
    if len(aspi_by_url) != len(aspi_rows) or len(aspi_by_ror) != sum(1 for r in aspi_rows if r["ror_id"]):
        raise ValueError("aspi_china_defence_universities_2019.csv: duplicate aspi_url or ror_id")

    entities: list[dict] = []
    matched_aspi: set[str] = set()
    child_rows = []
    for core in core_rows:
        if core["group"] in CORE_CHILD_GROUPS:
            child_rows.append(core)
            continue
        if core["group"] not in CORE_GROUP_MAP:
            raise ValueError(f"seven_sons_and_pla_core.csv: unmapped group {core['group']!r}")
        aspi = aspi_by_url.get(core["aspi_url"]) if core["aspi_url"] else None
        by_ror = aspi_by_ror.get(core["ror_id"]) if core["ror_id"] else None
        if aspi and by_ror and aspi is not by_ror:
            raise ValueError(f"{core['name_en']}: ASPI URL and ROR id point to different ASPI rows")
        aspi = aspi or by_ror
        if aspi:
            matched_aspi.add(aspi["aspi_url"])
        entities.append(merge_entity(core, aspi, ror_records))
    for aspi in aspi_rows:
        if aspi["aspi_url"] not in matched_aspi:
            entities.append(merge_entity(None, aspi, ror_records))
    entities += pla_body_rows(ror_records, load_relationships(ref), CORE_AS_OF, slugify, flags_for)

    seen: dict[str, str] = {}
    for e in entities:
        for key in ("entity_id", "ror_id"):
            if e[key] and (key, e[key]) in seen:
                raise ValueError(f"duplicate {key} {e[key]}: {e['name_en']} and {seen[(key, e[key])]}")
            if e[key]:
                seen[(key, e[key])] = e["name_en"]
    entities.sort(key=lambda e: (ENTITY_GROUPS.index(e["entity_group"]), e["entity_id"]))
    return entities, child_rows


def merge_entity(core: dict | None, aspi: dict | None, ror_records: dict[str, dict]) -> dict:
    disagreements = []
    core_ror = core["ror_id"] if core else ""
    aspi_ror = aspi["ror_id"] if aspi else ""
    if core and aspi and core_ror != aspi_ror:
        disagreements.append(f"ROR id: seven_sons_and_pla_core {core_ror or '(none)'} vs ASPI {aspi_ror or '(none)'}; "
                             "the seven_sons_and_pla_core id is kept")
    ror_id = core_ror or aspi_ror

    core_level = core["aspi_risk_level"] if core else ""
    aspi_level = aspi["aspi_risk_level"] if aspi else ""
    if core and aspi and core_level != aspi_level:
        disagreements.append(f"risk level: seven_sons_and_pla_core {core_level or '(none)'} vs ASPI "
                             f"{aspi_level or '(none)'}; the ASPI list's level is kept")
    level = aspi_level if aspi else core_level
    level_source = (aspi or core)["aspi_risk_level_source"] if level else (
        "none_in_stored_sources" if aspi else "not_in_aspi_tracker")
    if level and level not in RISK_LEVELS:
        raise ValueError(f"unknown risk level {level!r}")

    if core:
        group, basis = CORE_GROUP_MAP[core["group"]], "seven_sons_and_pla_core"
        if aspi:
            aspi_group = aspi_mapped_group(aspi)
            # ASPI's single `pla` group is coarser than the pla_* subgroups: a refinement, not a disagreement.
            if not (aspi["group"] == "pla" and group in PLA_GROUPS) and aspi_group != group:
                disagreements.append(f"group: seven_sons_and_pla_core {core['group']} vs ASPI {aspi['group']}; "
                                     "the seven_sons_and_pla_core group is kept")
    else:
        group = aspi_mapped_group(aspi)
        basis = "aspi_pla_name_rule" if aspi["group"] == "pla" else "aspi_group"
    if ror_id in STUDY_OVERRIDES:
        group, note = STUDY_OVERRIDES[ror_id]
        basis = "study_md_override"
        disagreements.append(note)

    name_en = core["name_en"] if core else aspi["aspi_name_en"]
    ror = ror_records.get(ror_id, {})
    sources = (["seven_sons_and_pla_core"] if core else []) + (["aspi_china_defence_universities_2019"] if aspi else [])
    return {
        "entity_id": slugify(aspi["aspi_name_en"] if aspi else name_en),
        "ror_id": ror_id,
        "name_en": name_en,
        "name_zh": (core["name_zh"] if core else "") or (aspi["aspi_name_zh"] if aspi else ""),
        "entity_group": group,
        "aspi_risk_level": level,
        "aspi_risk_level_source": level_source,
        **flags_for(group, level),
        "source_lists": "|".join(sources),
        "source_url": (aspi["aspi_url"] if aspi else "") or (core["aspi_url"] if core else "")
        or (f"https://ror.org/{ror_id}" if ror_id else ""),
        "as_of_date": CORE_AS_OF if core else ASPI_AS_OF,
        "lists_disagree": bool(disagreements),
        "disagreement_note": " ".join(disagreements),
        "entity_group_basis": basis,
        "core_group": core["group"] if core else "",
        "aspi_group": aspi["group"] if aspi else "",
        "aspi_name_en": aspi["aspi_name_en"] if aspi else "",
        "aspi_name_zh": aspi["aspi_name_zh"] if aspi else "",
        "aspi_categories": aspi["aspi_categories"] if aspi else "",
        "supervising_agencies": aspi["supervising_agencies"] if aspi else "",
        "aliases": aspi["aliases"] if aspi else "",
        "aspi_topics": aspi["topics"] if aspi else "",
        "aspi_url": (aspi["aspi_url"] if aspi else "") or (core["aspi_url"] if core else ""),
        "ror_name": ror.get("name") or (core or {}).get("ror_name") or (aspi or {}).get("ror_name", ""),
        "ror_match": aspi["ror_match"] if aspi else ("seven_sons_and_pla_core" if ror_id else "no_ror_id_found"),
        "ror_record_in_subset": bool(ror),
        "ror_status": ror.get("status", ""),
        "notes": core["notes"] if core else "",
    }


def aspi_mapped_group(aspi: dict) -> str:
    if aspi["group"] == "pla":
        return aspi_pla_group(aspi["aspi_name_en"])
    if aspi["group"] not in ASPI_GROUP_MAP:
        raise ValueError(f"aspi_china_defence_universities_2019.csv: unmapped group {aspi['group']!r}")
    return ASPI_GROUP_MAP[aspi["group"]]


UNIT_COLUMNS = [
    "unit_ror_id", "unit_name", "unit_status", "parent_ror_id", "parent_entity_id", "parent_entity_group",
    "unit_entity_group", "direct_parent_ror_id", "depth", "other_parent_ror_ids", "relationship_source", "is_pla", "is_defence_linked",
    "is_security_linked", "is_aspi_very_high", "tags", "unit_link",
]
REL_SOURCE = "ror_cn_hk_mo_tw_subset_relationships"
CORE_SOURCE = "seven_sons_and_pla_core"


def build_units(ref: Path, entities: list[dict], child_rows: list[dict], ror_records: dict[str, dict]) -> list[dict]:
    """ROR descendants of every risk entity (all levels), and the records they replaced: a record whose ROR
    successor is an entity or a unit hangs under it (`unit_link` predecessor), as OpenAlex may still carry the old
    id. The walk stops at another risk entity: that one keeps its own tags and its own units. A unit reachable
    from several entities (a joint lab) goes to the nearest one, then the one with the strongest tags, then the
    smallest ROR id; the others are listed in other_parent_ror_ids. `depth` counts the hops from the chosen
    entity."""
    children: dict[str, set[str]] = defaultdict(set)
    links: dict[tuple[str, str], str] = {}
    labels: dict[str, str] = {}
    for r in load_relationships(ref):
        a, b, kind = r["ror_id"], r["related_ror_id"], r["relationship_type"]
        labels.setdefault(b, r["related_label"])
        parent, child = {"child": (a, b), "parent": (b, a), "predecessor": (a, b), "successor": (b, a)}.get(kind, ("", ""))
        if parent:
            children[parent].add(child)
            links[parent, child] = "predecessor" if kind in {"predecessor", "successor"} else "child"

    by_ror = {e["ror_id"]: e for e in entities if e["ror_id"]}
    # Ties go to the parent with the stronger tags: pla, then defence_linked, security_linked, aspi_very_high.
    strength = {r: tuple(not e[flag] for flag in ("is_pla", "is_defence_linked", "is_security_linked",
                                                  "is_aspi_very_high")) for r, e in by_ror.items()}
    candidates: dict[str, list[tuple]] = defaultdict(list)
    for root in sorted(by_ror):
        frontier, seen, depth = [(root, root)], {root}, 0
        while frontier:
            depth += 1
            nxt = []
            for node, _ in frontier:
                for child in sorted(children.get(node, ())):
                    if child in seen or child in by_ror:
                        continue
                    seen.add(child)
                    candidates[child].append((depth, strength[root], root, node))
                    nxt.append((child, node))
            frontier = nxt

    units: dict[str, dict] = {}
    for unit, options in candidates.items():
        depth, _, root, direct = min(options)
        others = "|".join(sorted({option[2] for option in options} - {root}))
        units[unit] = {"unit_ror_id": unit, "parent_ror_id": root, "direct_parent_ror_id": direct, "depth": depth,
                       "other_parent_ror_ids": others, "sources": {REL_SOURCE}}
    for row in child_rows:
        unit, parent = row["ror_id"], row["parent_ror_id"]
        if parent not in by_ror:
            raise ValueError(f"seven_sons_and_pla_core child {unit}: parent {parent} is not a risk entity")
        if unit in by_ror:
            raise ValueError(f"seven_sons_and_pla_core child {unit} is also a risk entity")
        if unit in units and units[unit]["parent_ror_id"] != parent:
            raise ValueError(f"child {unit}: ROR walk says parent {units[unit]['parent_ror_id']}, list says {parent}")
        units.setdefault(unit, {"unit_ror_id": unit, "parent_ror_id": parent, "direct_parent_ror_id": parent,
                                "depth": 1, "other_parent_ror_ids": "", "sources": set()})["sources"].add(CORE_SOURCE)
        labels.setdefault(unit, row["name_en"])

    rows = []
    for unit in units.values():
        parent = by_ror[unit["parent_ror_id"]]
        record = ror_records.get(unit["unit_ror_id"], {})
        rows.append({
            **unit,
            "unit_name": record.get("name") or labels.get(unit["unit_ror_id"], ""),
            "unit_status": record.get("status", ""),
            "parent_entity_id": parent["entity_id"],
            "parent_entity_group": parent["entity_group"],
            "unit_entity_group": "seven_sons_unit" if parent["entity_group"] == "seven_sons" else parent["entity_group"],
            "relationship_source": "|".join(s for s in (REL_SOURCE, CORE_SOURCE) if s in unit["sources"]),
            **{k: parent[k] for k in ("is_pla", "is_defence_linked", "is_security_linked", "is_aspi_very_high")},
            "unit_link": links.get((unit["direct_parent_ror_id"], unit["unit_ror_id"]), "child"),
        })
        rows[-1]["tags"] = flags_for(rows[-1]["unit_entity_group"], parent["aspi_risk_level"])["tags"]
    rows.sort(key=lambda r: (r["parent_entity_id"], r["depth"], r["unit_ror_id"]))
    return rows


# ---------------------------------------------------------------------------------------------------------
# funders and funding programmes
# ---------------------------------------------------------------------------------------------------------

FUNDER_COLUMNS = [
    "ror_id", "name", "name_zh", "acronyms", "funder_category", "government_level", "is_chinese_government",
    "is_state_owned_enterprise", "is_defence_related", "fundref_preferred", "fundref_all", "fundref_count",
    "risk_entity_id", "notes", "ror_records_release",
]
FUNDREF_COLUMNS = ["fundref_id", "ror_id", "is_preferred", "is_primary", "fundref_doi", "funder_name"]
FUNDREF_ID = re.compile(r"^(100|5011)[0-9]{5,8}$")


def build_funders(ref: Path, entities: list[dict]) -> tuple[list[dict], list[dict]]:
    entity_by_ror = {e["ror_id"]: e["entity_id"] for e in entities if e["ror_id"]}
    funders, fundref_rows = [], []
    for r in read_csv(ref / "chinese_funders.csv"):
        ror_id = normalise_ror(r["ror_id"])
        if r["chinese_government"] not in {"yes", "no", "state_owned_enterprise"} or r["defence_related"] not in {"yes", "no"}:
            raise ValueError(f"chinese_funders.csv {ror_id}: unexpected flag value")
        ids = [i for i in r["fundref_all"].split("|") if i]
        preferred = r["fundref_preferred"]
        for fundref in ids + ([preferred] if preferred else []):
            if not FUNDREF_ID.match(fundref):
                raise ValueError(f"chinese_funders.csv {ror_id}: malformed FundRef id {fundref!r}")
        if preferred and preferred not in ids:
            raise ValueError(f"chinese_funders.csv {ror_id}: preferred FundRef id not in fundref_all")
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


PROGRAMME_COLUMNS = ["programme_key", "text", "lang", "match_type", "civil_or_defence", "notes"]


def build_programmes(ref: Path) -> list[dict]:
    rows = read_csv(ref / "funding_programme_name_variants.csv")
    for r in rows:
        if r["match_type"] not in {"name", "acronym", "award_id_prefix"} or r["civil_or_defence"] not in {"civil", "defence"}:
            raise ValueError(f"funding_programme_name_variants.csv: unexpected value in {r}")
    return [{c: r[c] for c in PROGRAMME_COLUMNS} for r in rows]


# ---------------------------------------------------------------------------------------------------------
# dual-use topics
# ---------------------------------------------------------------------------------------------------------

DUAL_USE_COLUMNS = ["dual_use_area", "match_type", "match_value", "applies_to", "match_display_name", "verified_in", "note"]
# (area, match_type, value, applies_to, expected display name for ids, note). Topic ids are checked against the
# OpenAlex samples below; patterns are SQL ILIKE patterns on display names.
DUAL_USE = [
    ("target_tracking", "topic_id", "T10711", "topic", "Target Tracking and Data Fusion in Sensor Networks",
     "MERICS: target tracking, drone target tracking; OpenAlex topic in subfield 1702 (Artificial Intelligence)."),
    ("target_tracking", "topic_id", "T12389", "topic", "Infrared Target Detection Methodologies",
     "Target detection for tracking (infrared seekers, small-target detection); subfield Aerospace Engineering."),
    ("target_tracking", "name_pattern", "%target track%", "topic_or_keyword", "",
     "Catches the target-tracking topic under any id (the demo data's T11307 has the same name) and keywords "
     "such as multi-target tracking."),
    ("target_tracking", "name_pattern", "%object tracking%", "topic_or_keyword", "",
     "Visual/video object tracking keywords. A bare '%tracking%' is avoided: the keyword 'Tracking (education)' "
     "and gaze/eye tracking would match."),
    ("cybersecurity", "topic_id", "T10400", "topic", "Network Security and Intrusion Detection", "MERICS: cybersecurity."),
    ("cybersecurity", "topic_id", "T10734", "topic", "Information and Cyber Security", "MERICS: cybersecurity."),
    ("cybersecurity", "topic_id", "T11241", "topic", "Advanced Malware Detection Techniques", "MERICS: cybersecurity."),
    ("cybersecurity", "topic_id", "T12034", "topic", "Digital and Cyber Forensics", "MERICS: cybersecurity."),
    ("cybersecurity", "topic_id", "T12221", "topic", "Cybersecurity and Cyber Warfare Studies", "MERICS: cybersecurity."),
    ("cybersecurity", "topic_id", "T12479", "topic", "Web Application Security Vulnerabilities", "MERICS: cybersecurity."),
    ("cybersecurity", "topic_id", "T14234", "topic", "Data Privacy and Cybersecurity", "MERICS: cybersecurity."),
    ("cybersecurity", "name_pattern", "%cyber%secur%", "topic_or_keyword", "",
     "Cybersecurity / cyber security; a bare '%cyber%' is avoided (it matches Cybernetics)."),
    ("cybersecurity", "name_pattern", "%cyber%attack%", "topic_or_keyword", "", "Cyber attacks / cyberattack detection."),
    ("cybersecurity", "name_pattern", "%intrusion detection%", "topic_or_keyword", "", "Network intrusion detection."),
    ("cybersecurity", "name_pattern", "%malware%", "topic_or_keyword", "", "Malware detection and analysis."),
    ("biometric_recognition", "topic_id", "T10828", "topic", "Biometric Identification and Security",
     "MERICS: biometric recognition; the topic that also holds most face anti-spoofing work."),
    ("biometric_recognition", "topic_id", "T10057", "topic", "Face and Expression Recognition",
     "MERICS: biometric recognition (face); subfield 1707 Computer Vision and Pattern Recognition."),
    ("biometric_recognition", "topic_id", "T11448", "topic", "Face recognition and analysis",
     "MERICS: biometric recognition (face)."),
    ("biometric_recognition", "name_pattern", "%biometric%", "topic_or_keyword", "", "Biometrics of any modality."),
    ("biometric_recognition", "name_pattern", "%face recognition%", "topic_or_keyword", "",
     "Also matches T11094 'Face Recognition and Perception' (cognitive neuroscience); only AI works are in scope."),
    ("biometric_recognition", "name_pattern", "%facial recognition%", "topic_or_keyword", "", "Facial recognition systems."),
    ("biometric_recognition", "name_pattern", "%fingerprint recognition%", "topic_or_keyword", "",
     "A bare '%fingerprint%' is avoided (molecular and spectral fingerprints)."),
    ("biometric_recognition", "name_pattern", "%iris recognition%", "topic_or_keyword", "", "Iris biometrics."),
    ("biometric_recognition", "name_pattern", "%gait recognition%", "topic_or_keyword", "", "Gait biometrics."),
    ("biometric_recognition", "name_pattern", "%speaker verification%", "topic_or_keyword", "", "Voice biometrics."),
    ("face_anti_spoofing", "name_pattern", "%anti-spoof%", "topic_or_keyword", "",
     "MERICS: cross-ethnicity face anti-spoofing. No dedicated OpenAlex topic id could be verified offline "
     "(such work mostly sits in T10828)."),
    ("face_anti_spoofing", "name_pattern", "%face%spoof%", "topic_or_keyword", "", "Face spoofing / spoof detection."),
    ("face_anti_spoofing", "name_pattern", "%liveness detection%", "topic_or_keyword", "", "Face/fingerprint liveness."),
    ("face_anti_spoofing", "name_pattern", "%presentation attack%", "topic_or_keyword", "",
     "ISO/IEC 30107 term for spoofing attacks on biometric systems."),
    ("missile_guidance", "name_pattern", "%missile%", "topic_or_keyword", "",
     "MERICS: integrated missile guidance. No OpenAlex topic id for guidance could be verified offline."),
    ("missile_guidance", "name_pattern", "%guidance law%", "topic_or_keyword", "", "Interception guidance laws."),
    ("missile_guidance", "name_pattern", "%guidance and control%", "topic_or_keyword", "",
     "Guidance-and-control topics; a bare '%guidance%' is avoided (axon guidance, clinical guidelines)."),
    ("surveillance", "topic_id", "T10331", "topic", "Video Surveillance and Tracking Methods",
     "MERICS: surveillance, group abnormal-behaviour detection; subfield 1707."),
    ("surveillance", "name_pattern", "%video surveillance%", "topic_or_keyword", "",
     "A bare '%surveillance%' is avoided (T11819 Data-Driven Disease Surveillance)."),
    ("surveillance", "name_pattern", "%person re-identification%", "topic_or_keyword", "", "Tracking people across cameras."),
    ("surveillance", "name_pattern", "%abnormal behavio%", "topic_or_keyword", "", "MERICS: group abnormal behaviour detection."),
    ("surveillance", "name_pattern", "%crowd counting%", "topic_or_keyword", "", "Crowd monitoring."),
    ("surveillance", "name_pattern", "%rumo%r%", "topic_or_keyword", "",
     "MERICS: rumour-spread containment (public-opinion monitoring); matches rumor and rumour."),
]
DUAL_USE_AREAS = ["target_tracking", "cybersecurity", "biometric_recognition", "face_anti_spoofing",
                  "missile_guidance", "surveillance"]


def openalex_topic_names(samples: Path) -> dict[str, tuple[str, str]]:
    """Every (topic id -> (display name, sample file)) seen anywhere in the OpenAlex sample records."""
    found: dict[str, tuple[str, str]] = {}

    def walk(node, source: str) -> None:
        if isinstance(node, dict):
            ident = node.get("id")
            if isinstance(ident, str) and re.fullmatch(r"https://openalex\.org/T\d+", ident) and node.get("display_name"):
                found.setdefault(ident.rsplit("/", 1)[-1], (node["display_name"], source))
            for value in node.values():
                walk(value, source)
        elif isinstance(node, list):
            for value in node:
                walk(value, source)

    for path in sorted(samples.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            try:
                walk(json.loads(line), path.name)
            except json.JSONDecodeError:
                continue
    return found


def build_dual_use(samples: Path) -> list[dict]:
    topics = openalex_topic_names(samples)
    rows = []
    for area, match_type, value, applies_to, display, note in DUAL_USE:
        verified = ""
        if match_type == "topic_id":
            if topics.get(value, ("",))[0] != display:
                raise ValueError(f"topic {value} {display!r} not found in the OpenAlex samples (got {topics.get(value)})")
            verified = f"openalex-samples/{topics[value][1]}"
        rows.append({"dual_use_area": area, "match_type": match_type, "match_value": value, "applies_to": applies_to,
                     "match_display_name": display, "verified_in": verified, "note": note})
    return rows


# ---------------------------------------------------------------------------------------------------------
# reference figures
# ---------------------------------------------------------------------------------------------------------

FIGURE_SOURCE_COLUMNS = ["metric_id", "metric", "value", "unit", "period", "geography", "data_source", "status",
                         "source", "notes"]
FIGURE_COLUMNS = FIGURE_SOURCE_COLUMNS + ["value_numeric", "warehouse_metric", "warehouse_scope", "warehouse_period",
                                          "warehouse_comparison_note"]
# metric_id -> (warehouse_metric, scope, period, note). Only headline metrics of docs/definitions.md; unmapped rows stay empty.
FIGURE_MAP = {
    "merics_total_joint_papers": ("eu_cn_works", "EUROPE", "2017-2022", "MERICS says nearly 37,000."),
    "merics_military_linked_papers": ("eu_cn_works_defence_linked", "EUROPE", "2017-2022", ""),
    "merics_military_linked_share": ("eu_cn_share_defence_linked", "EUROPE", "2017-2022",
                                     "Reported as 'roughly half'; 16386 / ~37000 = 0.44."),
    "merics_pla_papers": ("eu_cn_works_with_pla", "EUROPE", "2017-2022", "'Around 87 papers'."),
    "merics_uk_share_of_joint": ("country_share_of_eu_cn_works", "GB", "2017-2022", "'Almost half'; OpenAlex writes GB."),
    "merics_uk_2021_share_with_china": ("country_share_with_cn", "GB", "2021", ""),
    "merics_uk_2017_share_with_china": ("country_share_with_cn", "GB", "2017", ""),
    "merics_europe_share_2017": ("europe_share_with_cn", "EUROPE", "2017", ""),
    "merics_europe_share_2021": ("europe_share_with_cn", "EUROPE", "2021", ""),
    "merics_china_share_2017": ("cn_share_with_europe", "CN", "2017", ""),
    "merics_china_share_2021": ("cn_share_with_europe", "CN", "2021", ""),
    "merics_uk_share_of_china_output": ("cn_share_with_country", "GB", "2017-2022",
                                        "Source gives no period; compared with the whole study period."),
    "merics_china_funded_share": ("share_china_funded_of_disclosed", "EUROPE", "2017-2022", ""),
    "merics_china_gov_programme_share": ("share_china_gov_funded_of_disclosed", "EUROPE", "2017-2022", ""),
    "merics_defence_basic_research_papers": ("eu_cn_works_defence_programme_funded", "EUROPE", "2017-2022", ""),
    "merics_tum_top10_links": ("top10_links_involving_tum", "DE-CN", "2017-2022", "TUM ROR 02kkvpp62."),
}
UNMAPPED_NOTES = {
    "merics_funding_disclosed_share": "No headline share: compare eu_cn_works_funding_disclosed / eu_cn_works.",
    "merics_europe_share_trend": "Qualitative; see europe_share_with_cn for 2017 and 2021.",
    "merics_china_share_trend": "Qualitative; see cn_share_with_europe for 2017 and 2021.",
    "merics_sensitive_topics": "See the dual_use_topics seed.",
    "merics_uk_share_of_europe_ai_output": "No headline metric; compare country_ai_works GB / europe_ai_works.",
    "merics_unibw_pla_2022": "No headline metric; check with the PLA tag on DE institution links (UniBw ROR 05kkv3f82).",
    "reconnect_uk_share": "Other study (2011-2022, Web of Science, EU27+UK+NO+CH); not mapped to avoid a second GB row.",
    "merics_top_funder": "Qualitative; compare with share_china_gov_funded_of_disclosed.",
    "merics_pub": "Publication date of the report, not a figure.",
    "merics_context_us_china": "Context figure from another database; outside the warehouse scope.",
    "aspi_2019_total": "Size of the ASPI list; compare with risk_entities where source_lists has the ASPI list.",
    "aspi_2019_very_high": "Compare with risk_entities.is_aspi_very_high (82 carry a level in the stored sources).",
    "aspi_2019_high": "Civilian universities; most of their levels are missing from the stored sources.",
    "aspi_2019_medium_low": "Civilian universities; most of their levels are missing from the stored sources.",
    "csi_2022_total": "Other study (Lens.org, 2000-2022, own military list); not comparable one to one.",
    "csi_2022_germany_nudt": "Other study (Lens.org, 2000-2022); not comparable one to one.",
    "digsci_uk_2024": "Other study (Dimensions, 2024): outside the study period.",
}


def build_figures(ref: Path) -> list[dict]:
    rows = []
    rows_in = read_csv(ref / "merics_reference_numbers.csv")
    unknown = set(FIGURE_MAP) - {r["metric_id"] for r in rows_in}
    if unknown:
        raise ValueError(f"merics_reference_numbers.csv lost metric ids {sorted(unknown)}")
    for r in rows_in:
        metric, scope, period, note = FIGURE_MAP.get(r["metric_id"], ("", "", "", UNMAPPED_NOTES.get(r["metric_id"], "")))
        try:
            numeric = float(r["value"])
        except ValueError:
            numeric = None
        rows.append({**{c: r[c] for c in FIGURE_SOURCE_COLUMNS}, "value_numeric": r["value"] if numeric is not None else "",
                     "warehouse_metric": metric, "warehouse_scope": scope, "warehouse_period": period,
                     "warehouse_comparison_note": note})
    return rows


# ---------------------------------------------------------------------------------------------------------


def load_ror_records(ref: Path) -> dict[str, dict]:
    records = {}
    for r in read_csv(ref / "ror_cn_hk_mo_tw_subset.csv"):
        records[normalise_ror(r["ror_id"])] = r
    return records


def load_relationships(ref: Path) -> list[dict]:
    """The ROR subset's edges with both ids normalised."""
    rows = read_csv(ref / "ror_cn_hk_mo_tw_subset_relationships.csv")
    for r in rows:
        r["ror_id"], r["related_ror_id"] = normalise_ror(r["ror_id"]), normalise_ror(r["related_ror_id"])
    return rows


def build_all(shared: Path, out_dir: Path = SEEDS) -> dict[str, int]:
    ref = shared / "reference-data"
    out_dir.mkdir(parents=True, exist_ok=True)
    ror_records = load_ror_records(ref)
    entities, child_rows = build_risk_entities(ref, ror_records)
    units = build_units(ref, entities, child_rows, ror_records)
    funders, fundref_ids = build_funders(ref, entities)
    counts = {
        "countries": write_csv("countries", COUNTRY_COLUMNS, build_countries(ref), out_dir),
        "risk_entities": write_csv("risk_entities", RISK_ENTITY_COLUMNS, entities, out_dir),
        "risk_entity_units": write_csv("risk_entity_units", UNIT_COLUMNS, units, out_dir),
        "chinese_funders": write_csv("chinese_funders", FUNDER_COLUMNS, funders, out_dir),
        "chinese_funder_fundref_ids": write_csv("chinese_funder_fundref_ids", FUNDREF_COLUMNS, fundref_ids, out_dir),
        "funding_programmes": write_csv("funding_programmes", PROGRAMME_COLUMNS, build_programmes(ref), out_dir),
        "dual_use_topics": write_csv("dual_use_topics", DUAL_USE_COLUMNS, build_dual_use(shared / "openalex-samples"), out_dir),
        "reference_figures": write_csv("reference_figures", FIGURE_COLUMNS, build_figures(ref), out_dir),
    }
    name_seeds = build_name_seeds(entities, units, ror_records, load_relationships(ref))
    for name, columns in (("risk_entity_names", NAME_COLUMNS), ("risk_name_collisions", COLLISION_COLUMNS),
                          ("china_places", PLACE_COLUMNS)):
        counts[name] = write_csv(name, columns, name_seeds[name], out_dir)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", type=Path, help="the shared folder holding reference-data/ and openalex-samples/")
    parser.add_argument("--out", type=Path, default=SEEDS, help="where to write the seed CSVs (default: seeds/)")
    args = parser.parse_args(argv)
    for name, n in build_all(args.shared, args.out).items():
        print(f"{name:28s} {n:5d} rows")


if __name__ == "__main__":
    sys.exit(main())
