"""PLA hospitals and PLA-run bodies that neither source list names, added to risk_entities from the ROR subset.

Each body (curated/pla_bodies.csv) is one the ROR data itself shows as run by the PLA: its name or Chinese label
says PLA / 中国人民解放军 / 解放军, or its alias makes it a hospital of a PLA medical university. ROR's "related"
edges alone are not enough (civilian hospitals are related to PLA universities too), so Xijing, Tangdu and Daping
hospitals, and Gongli Hospital, are left out: the subset holds no record of them that says so. A body whose record
is not in the subset is named on a ROR edge of another record; its name (the edge's label) says PLA.
"""

from __future__ import annotations

from collections.abc import Callable

from .files import curated, slugify

SOURCE_RECORD = "ror_cn_hk_mo_tw_subset"
SOURCE_EDGE = "ror_cn_hk_mo_tw_subset_relationships"
GROUP_BASIS = "curated_from_ror"
# risk_entities columns that only the source lists fill.
LIST_ONLY_COLUMNS = ("core_group", "aspi_group", "aspi_name_en", "aspi_name_zh", "aspi_categories",
                     "supervising_agencies", "aspi_topics", "aspi_url")


def edge_labels(relationships: list[dict]) -> dict[str, str]:
    """ROR id -> the label a relationship gives it (the name of a record the subset may not hold)."""
    labels: dict[str, str] = {}
    for edge in relationships:
        labels.setdefault(edge["related_ror_id"], edge["related_label"])
    return labels


def other_names(record: dict, ror_records: dict[str, dict]) -> list[str]:
    """The record's aliases, other labels and acronyms, then the names of the records it succeeds (former names)."""
    names = [n for field in ("aliases", "other_labels", "acronyms") for n in record.get(field, "").split("|")]
    for predecessor in record.get("predecessor_ids", "").split("|"):
        old = ror_records.get(predecessor, {})
        names += [old.get("name", ""), old.get("name_zh", "")]
    own = {record.get("name"), record.get("name_zh")}
    return list(dict.fromkeys(n for n in names if n and n not in own))


def pla_body_rows(ror_records: dict[str, dict], relationships: list[dict], as_of: str,
                  flags_for: Callable[[str, str], dict]) -> list[dict]:
    """One risk_entities row per body of curated/pla_bodies.csv."""
    labels = edge_labels(relationships)
    rows = []
    for body in curated("pla_bodies"):
        ror_id, group = body["ror_id"], body["entity_group"]
        record = ror_records.get(ror_id, {})
        name = record.get("name") or labels.get(ror_id, "")
        if not name:
            raise ValueError(f"PLA body {ror_id}: neither a ROR record nor a ROR edge names it")
        if record and record["status"] != "active":
            raise ValueError(f"PLA body {ror_id}: the ROR record is {record['status']}, not active")
        rows.append({
            "entity_id": slugify(name),
            "ror_id": ror_id,
            "name_en": name,
            "name_zh": record.get("name_zh", ""),
            "entity_group": group,
            "aspi_risk_level": "",
            "aspi_risk_level_source": "not_in_aspi_tracker",
            **flags_for(group, ""),
            "source_lists": SOURCE_RECORD if record else SOURCE_EDGE,
            "source_url": f"https://ror.org/{ror_id}",
            "as_of_date": as_of,
            "lists_disagree": False,
            "disagreement_note": "",
            "entity_group_basis": GROUP_BASIS,
            **dict.fromkeys(LIST_ONLY_COLUMNS, ""),
            "aliases": "|".join(other_names(record, ror_records)),
            "ror_name": name,
            "ror_match": "ror_record" if record else "ror_relationship_label",
            "ror_record_in_subset": bool(record),
            "ror_status": record.get("status", ""),
            "notes": body["basis"],
        })
    return rows
