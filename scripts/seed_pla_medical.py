"""PLA hospitals and PLA-run bodies that neither source list names, added to risk_entities from the ROR subset.

Used by build_seeds.py. Each body is one the ROR data itself shows as run by the PLA: its name or Chinese label
says PLA / 中国人民解放军 / 解放军, or its alias makes it a hospital of a PLA medical university. ROR's "related"
edges alone are not enough (civilian hospitals are related to PLA universities too), so Xijing, Tangdu and Daping
hospitals, and Gongli Hospital, are left out: the subset holds no record of them that says so.
"""

from __future__ import annotations

SOURCE_RECORD = "ror_cn_hk_mo_tw_subset"
SOURCE_EDGE = "ror_cn_hk_mo_tw_subset_relationships"
GROUP_BASIS = "curated_from_ror"

# (ROR id, entity_group, basis: why the record shows a PLA-run body). A body whose record is not in the subset is
# named on a ROR edge of another record; its name (the edge's label) says PLA.
PLA_BODIES = [
    ("04gw3ra78", "pla_medical",
     "ROR name and Chinese label: Chinese PLA General Hospital, 中国人民解放军总医院 (alias 301 Military Hospital)."),
    ("02p8ayf63", "pla_medical",
     "ROR Chinese label 解放军总医院海南医院 and alias Hainan Branch of People's Liberation Army General Hospital: "
     "the Hainan branch of the PLA General Hospital."),
    ("030ev1m28", "pla_medical",
     "ROR Chinese label 中国人民解放军中部战区总医院 and aliases (PLA General Hospital of Central Theater Command): "
     "the PLA Central Theater Command's general hospital; ROR successor of 03xbe6k03 "
     "(中国人民解放军广州军区武汉总医院)."),
    ("04kmpyd03", "pla_medical",
     "ROR name and Chinese label 中国人民解放军南京军区南京总医院: the general hospital of the PLA's Nanjing "
     "Military Command (Jinling Hospital)."),
    ("02pqjgd54", "pla_medical",
     "ROR Chinese label 中国人民解放军联勤保障部队第九〇〇医院 (the PLA Joint Logistic Support Force's 900th "
     "Hospital) and alias 中国人民解放军南京军区福州总医院."),
    ("036dyz052", "pla_medical", "ROR name PLA Navy General Hospital."),
    ("02zb4t009", "pla_medical", "ROR name Chinese People's Liberation Army Navy Hospital of Guangzhou."),
    ("05bz1ns30", "pla_medical",
     "ROR name and Chinese label: the 988th Hospital of the PLA Joint Logistic Support Force "
     "(中国人民解放军联勤保障部队第九八八医院)."),
    ("02bjs0p66", "pla_medical",
     "ROR alias Second Military Medical University First Hospital: the hospital of the PLA Navy Medical University "
     "(04tavpn47, a risk entity), to which ROR relates it."),
    ("02jn36537", "pla_medical",
     "ROR alias First Affiliated Hospital, Third Military Medical University: a hospital of the PLA Army Medical "
     "University (05w21nn13, a risk entity), to which ROR relates it."),
    ("02d217z27", "pla_medical",
     "ROR alias Second Affiliated Hospital, Third Military Medical University: a hospital of the PLA Army Medical "
     "University (05w21nn13, a risk entity), to which ROR relates it."),
    ("02q4yjc78", "pla_cmc_university",
     "ROR Chinese label 中国人民解放军国防大学国际防务学院 and alias International College of Defence Studies, NDU, "
     "PLA: a college of the PLA National Defense University (a risk entity without a ROR id)."),
    ("039713658", "pla_medical",
     "Named on the ROR edge of the Chinese PLA General Hospital (04gw3ra78): First Affiliated Hospital of Chinese "
     "PLA General Hospital. Its own record is not in the ROR subset."),
    ("00vrd0936", "pla_medical",
     "Named on the ROR edge of the Academy of Military Medical Sciences (02bv3c993): 307th Hospital of Chinese "
     "People's Liberation Army. Its own record is not in the ROR subset."),
    ("02xxx6w64", "pla_medical",
     "Named on the ROR edge of Nanjing University of Chinese Medicine (04523zj19): 81th Hospital of PLA (sic). Its "
     "own record is not in the ROR subset."),
]


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


def pla_body_rows(ror_records: dict[str, dict], relationships: list[dict], as_of: str, slugify, flags_for) -> list[dict]:
    """One risk_entities row per body of PLA_BODIES (the columns build_seeds.merge_entity fills)."""
    labels = edge_labels(relationships)
    rows = []
    for ror_id, group, basis in PLA_BODIES:
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
            "core_group": "",
            "aspi_group": "",
            "aspi_name_en": "",
            "aspi_name_zh": "",
            "aspi_categories": "",
            "supervising_agencies": "",
            "aliases": "|".join(other_names(record, ror_records)),
            "aspi_topics": "",
            "aspi_url": "",
            "ror_name": name,
            "ror_match": "ror_record" if record else "ror_relationship_label",
            "ror_record_in_subset": bool(record),
            "ror_status": record.get("status", ""),
            "notes": basis,
        })
    return rows
