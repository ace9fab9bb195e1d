"""risk_entities: the two source lists merged (seven_sons_and_pla_core, the ASPI China Defence Universities
Tracker), plus the PLA bodies only the ROR subset shows (pla_bodies), each tagged by its group."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dagster_project.study_definitions import risk_entity_groups

from .files import curated, normalise_ror, read_csv, slugify
from .pla_bodies import pla_body_rows

CORE = "seven_sons_and_pla_core"
ASPI = "aspi_china_defence_universities_2019"
ASPI_AS_OF = "2020-08-22"  # MISP galaxy scrape of unitracker.aspi.org.au (2019/2020 edition)
CORE_AS_OF = "2025-11-25"  # compiled list (reference-data build date)
RISK_LEVELS = ["very high", "high", "medium", "low"]  # the ASPI tracker's

RISK_ENTITY_COLUMNS = [
    "entity_id", "ror_id", "name_en", "name_zh", "entity_group", "aspi_risk_level", "aspi_risk_level_source",
    "is_pla", "is_defence_linked", "is_security_linked", "is_aspi_very_high", "tags", "source_lists", "source_url",
    "as_of_date", "lists_disagree", "disagreement_note", "entity_group_basis", "core_group", "aspi_group",
    "aspi_name_en", "aspi_name_zh", "aspi_categories", "supervising_agencies", "aliases", "aspi_topics", "aspi_url",
    "ror_name", "ror_match", "ror_record_in_subset", "ror_status", "notes",
]


@cache
def entity_groups() -> dict[str, dict[str, bool]]:
    """The group -> tag rule (the seed risk_entity_groups): each group's flags, in the seed's order, which is also
    the order of risk_entities."""
    return risk_entity_groups()


def flags_for(group: str, risk_level: str) -> dict:
    """The group's flags, is_aspi_very_high, and `tags`: the true flags pipe-joined in that order."""
    if group not in entity_groups():
        raise ValueError(f"entity_group {group!r} is not in seeds/risk_entity_groups.csv")
    flags = {**entity_groups()[group], "is_aspi_very_high": risk_level == "very high"}
    return {**flags, "tags": "|".join(flag.removeprefix("is_") for flag, on in flags.items() if on)}


def pla_groups() -> set[str]:
    return {group for group, flags in entity_groups().items() if flags["is_pla"]}


@cache
def group_maps() -> dict[str, dict[str, str]]:
    """Per source list, its `group` -> entity_group (curated/source_groups.csv; '' for a group handled otherwise)."""
    maps: dict[str, dict[str, str]] = {CORE: {}, ASPI: {}}
    for row in curated("source_groups"):
        maps[row["source_list"]][row["source_group"]] = row["entity_group"]
    return maps


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


def aspi_mapped_group(aspi: dict) -> str:
    if aspi["group"] == "pla":
        return aspi_pla_group(aspi["aspi_name_en"])
    if not group_maps()[ASPI].get(aspi["group"]):
        raise ValueError(f"aspi_china_defence_universities_2019.csv: unmapped group {aspi['group']!r}")
    return group_maps()[ASPI][aspi["group"]]


def is_child_row(core: dict) -> bool:
    """A seven_sons_and_pla_core row of a unit (its *_child groups), which becomes a risk_entity_units row."""
    return group_maps()[CORE].get(core["group"]) == ""


def read_lists(ref: Path) -> tuple[list[dict], list[dict]]:
    """The rows of both source lists, their ROR ids normalised; an ASPI row is known by its URL and its ROR id."""
    core_rows = read_csv(ref / f"{CORE}.csv")
    aspi_rows = read_csv(ref / f"{ASPI}.csv")
    for r in core_rows:
        r["ror_id"], r["parent_ror_id"] = normalise_ror(r["ror_id"]), normalise_ror(r["parent_ror_id"])
    for r in aspi_rows:
        r["ror_id"] = normalise_ror(r["ror_id"])
    with_ror = [r["ror_id"] for r in aspi_rows if r["ror_id"]]
    if len({r["aspi_url"] for r in aspi_rows}) != len(aspi_rows) or len(set(with_ror)) != len(with_ror):
        raise ValueError("aspi_china_defence_universities_2019.csv: duplicate aspi_url or ror_id")
    return core_rows, aspi_rows


def check_unique(entities: list[dict]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for e in entities:
        for key in ("entity_id", "ror_id"):
            if e[key] and (key, e[key]) in seen:
                raise ValueError(f"duplicate {key} {e[key]}: {e['name_en']} and {seen[(key, e[key])]}")
            if e[key]:
                seen[(key, e[key])] = e["name_en"]


def build_risk_entities(ref: Path, ror_records: dict[str, dict], relationships: list[dict]) -> tuple[list[dict], list[dict]]:
    """Both source lists merged, plus the PLA hospitals and PLA-run bodies that only the ROR subset shows; and the
    compiled list's child rows (for risk_entity_units)."""
    core_rows, aspi_rows = read_lists(ref)
    aspi_by_url = {r["aspi_url"]: r for r in aspi_rows}
    aspi_by_ror = {r["ror_id"]: r for r in aspi_rows if r["ror_id"]}
    entities: list[dict] = []
    matched_aspi: set[str] = set()
    child_rows = []
    for core in core_rows:
        if is_child_row(core):
            child_rows.append(core)
            continue
        if not group_maps()[CORE].get(core["group"]):
            raise ValueError(f"seven_sons_and_pla_core.csv: unmapped group {core['group']!r}")
        aspi = aspi_by_url.get(core["aspi_url"]) if core["aspi_url"] else None
        by_ror = aspi_by_ror.get(core["ror_id"]) if core["ror_id"] else None
        if aspi and by_ror and aspi is not by_ror:
            raise ValueError(f"{core['name_en']}: ASPI URL and ROR id point to different ASPI rows")
        aspi = aspi or by_ror
        if aspi:
            matched_aspi.add(aspi["aspi_url"])
        entities.append(merge_entity(core, aspi, ror_records))
    entities += [merge_entity(None, aspi, ror_records) for aspi in aspi_rows if aspi["aspi_url"] not in matched_aspi]
    entities += pla_body_rows(ror_records, relationships, CORE_AS_OF, flags_for)
    check_unique(entities)
    order = list(entity_groups())
    entities.sort(key=lambda e: (order.index(e["entity_group"]), e["entity_id"]))
    return entities, child_rows


def risk_level(core: dict | None, aspi: dict | None, disagreements: list[str]) -> tuple[str, str]:
    """(level, level_source): the ASPI list's level where the entity is on it."""
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
    return level, level_source


def entity_group(core: dict | None, aspi: dict | None, ror_id: str, disagreements: list[str]) -> tuple[str, str]:
    """(entity_group, entity_group_basis): the compiled list's group, else ASPI's, unless docs/definitions.md
    overrides it."""
    if core:
        group, basis = group_maps()[CORE][core["group"]], "seven_sons_and_pla_core"
        if aspi:
            aspi_group = aspi_mapped_group(aspi)
            # ASPI's single `pla` group is coarser than the pla_* subgroups: a refinement, not a disagreement.
            if not (aspi["group"] == "pla" and group in pla_groups()) and aspi_group != group:
                disagreements.append(f"group: seven_sons_and_pla_core {core['group']} vs ASPI {aspi['group']}; "
                                     "the seven_sons_and_pla_core group is kept")
    else:
        group = aspi_mapped_group(aspi)
        basis = "aspi_pla_name_rule" if aspi["group"] == "pla" else "aspi_group"
    override = next((r for r in curated("study_overrides") if r["ror_id"] == ror_id), None)
    if override:
        group, basis = override["entity_group"], "study_md_override"
        disagreements.append(override["note"])
    return group, basis


def merge_entity(core: dict | None, aspi: dict | None, ror_records: dict[str, dict]) -> dict:
    disagreements: list[str] = []
    core_ror = core["ror_id"] if core else ""
    aspi_ror = aspi["ror_id"] if aspi else ""
    if core and aspi and core_ror != aspi_ror:
        disagreements.append(f"ROR id: seven_sons_and_pla_core {core_ror or '(none)'} vs ASPI {aspi_ror or '(none)'}; "
                             "the seven_sons_and_pla_core id is kept")
    ror_id = core_ror or aspi_ror
    level, level_source = risk_level(core, aspi, disagreements)
    group, basis = entity_group(core, aspi, ror_id, disagreements)

    name_en = core["name_en"] if core else aspi["aspi_name_en"]
    ror = ror_records.get(ror_id, {})
    sources = ([CORE] if core else []) + ([ASPI] if aspi else [])
    aspi = aspi or {}
    return {
        "entity_id": slugify(aspi.get("aspi_name_en") or name_en),
        "ror_id": ror_id,
        "name_en": name_en,
        "name_zh": (core["name_zh"] if core else "") or aspi.get("aspi_name_zh", ""),
        "entity_group": group,
        "aspi_risk_level": level,
        "aspi_risk_level_source": level_source,
        **flags_for(group, level),
        "source_lists": "|".join(sources),
        "source_url": aspi.get("aspi_url") or (core["aspi_url"] if core else "") or (f"https://ror.org/{ror_id}" if ror_id else ""),
        "as_of_date": CORE_AS_OF if core else ASPI_AS_OF,
        "lists_disagree": bool(disagreements),
        "disagreement_note": " ".join(disagreements),
        "entity_group_basis": basis,
        "core_group": core["group"] if core else "",
        **{column: aspi.get(field, "") for column, field in ASPI_COLUMNS.items()},
        "aspi_url": aspi.get("aspi_url") or (core["aspi_url"] if core else ""),
        "ror_name": ror.get("name") or (core or {}).get("ror_name") or aspi.get("ror_name", ""),
        "ror_match": aspi["ror_match"] if aspi else (CORE if ror_id else "no_ror_id_found"),
        "ror_record_in_subset": bool(ror),
        "ror_status": ror.get("status", ""),
        "notes": core["notes"] if core else "",
    }


# risk_entities columns copied from the ASPI list's row as they are ('' for an entity not on it).
ASPI_COLUMNS = {
    "aspi_group": "group", "aspi_name_en": "aspi_name_en", "aspi_name_zh": "aspi_name_zh",
    "aspi_categories": "aspi_categories", "supervising_agencies": "supervising_agencies", "aliases": "aliases",
    "aspi_topics": "topics",
}
