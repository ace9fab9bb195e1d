"""risk_entity_units: the ROR descendants of every risk entity, and the compiled list's child rows."""

from __future__ import annotations

from collections import defaultdict

from .entities import CORE, flags_for

UNIT_COLUMNS = [
    "unit_ror_id", "unit_name", "unit_status", "parent_ror_id", "parent_entity_id", "parent_entity_group",
    "unit_entity_group", "direct_parent_ror_id", "depth", "other_parent_ror_ids", "relationship_source", "is_pla", "is_defence_linked",
    "is_security_linked", "is_aspi_very_high", "tags", "unit_link",
]
REL_SOURCE = "ror_cn_hk_mo_tw_subset_relationships"
PARENT_FLAGS = ("is_pla", "is_defence_linked", "is_security_linked", "is_aspi_very_high")


def ror_tree(relationships: list[dict]) -> tuple[dict[str, set[str]], dict[tuple[str, str], str], dict[str, str]]:
    """(children of each record, the link of each (parent, child): child or predecessor, each record's label)."""
    children: dict[str, set[str]] = defaultdict(set)
    links: dict[tuple[str, str], str] = {}
    labels: dict[str, str] = {}
    for r in relationships:
        a, b, kind = r["ror_id"], r["related_ror_id"], r["relationship_type"]
        labels.setdefault(b, r["related_label"])
        parent, child = {"child": (a, b), "parent": (b, a), "predecessor": (a, b), "successor": (b, a)}.get(kind, ("", ""))
        if parent:
            children[parent].add(child)
            links[parent, child] = "predecessor" if kind in {"predecessor", "successor"} else "child"
    return children, links, labels


def walk_units(by_ror: dict[str, dict], children: dict[str, set[str]]) -> dict[str, dict]:
    """Every record under a risk entity, with the entity it hangs under (see build_units)."""
    # Ties go to the parent with the stronger tags: pla, then defence_linked, security_linked, aspi_very_high.
    strength = {r: tuple(not e[flag] for flag in PARENT_FLAGS) for r, e in by_ror.items()}
    candidates: dict[str, list[tuple]] = defaultdict(list)
    for root in sorted(by_ror):
        frontier, seen, depth = [root], {root}, 0
        while frontier:
            depth += 1
            nxt = []
            for node in frontier:
                for child in sorted(children.get(node, ())):
                    if child in seen or child in by_ror:
                        continue
                    seen.add(child)
                    candidates[child].append((depth, strength[root], root, node))
                    nxt.append(child)
            frontier = nxt
    units: dict[str, dict] = {}
    for unit, options in candidates.items():
        depth, _, root, direct = min(options)
        others = "|".join(sorted({option[2] for option in options} - {root}))
        units[unit] = {"unit_ror_id": unit, "parent_ror_id": root, "direct_parent_ror_id": direct, "depth": depth,
                       "other_parent_ror_ids": others, "sources": {REL_SOURCE}}
    return units


def build_units(entities: list[dict], child_rows: list[dict], ror_records: dict[str, dict],
                relationships: list[dict]) -> list[dict]:
    """ROR descendants of every risk entity (all levels), and the records they replaced: a record whose ROR
    successor is an entity or a unit hangs under it (`unit_link` predecessor), as OpenAlex may still carry the old
    id. The walk stops at another risk entity: that one keeps its own tags and its own units. A unit reachable
    from several entities (a joint lab) goes to the nearest one, then the one with the strongest tags, then the
    smallest ROR id; the others are listed in other_parent_ror_ids. `depth` counts the hops from the chosen
    entity."""
    children, links, labels = ror_tree(relationships)
    by_ror = {e["ror_id"]: e for e in entities if e["ror_id"]}
    units = walk_units(by_ror, children)
    for row in child_rows:
        unit, parent = row["ror_id"], row["parent_ror_id"]
        if parent not in by_ror:
            raise ValueError(f"seven_sons_and_pla_core child {unit}: parent {parent} is not a risk entity")
        if unit in by_ror:
            raise ValueError(f"seven_sons_and_pla_core child {unit} is also a risk entity")
        if unit in units and units[unit]["parent_ror_id"] != parent:
            raise ValueError(f"child {unit}: ROR walk says parent {units[unit]['parent_ror_id']}, list says {parent}")
        units.setdefault(unit, {"unit_ror_id": unit, "parent_ror_id": parent, "direct_parent_ror_id": parent,
                                "depth": 1, "other_parent_ror_ids": "", "sources": set()})["sources"].add(CORE)
        labels.setdefault(unit, row["name_en"])

    rows = []
    for unit in units.values():
        parent = by_ror[unit["parent_ror_id"]]
        record = ror_records.get(unit["unit_ror_id"], {})
        group = "seven_sons_unit" if parent["entity_group"] == "seven_sons" else parent["entity_group"]
        rows.append({
            **unit,
            "unit_name": record.get("name") or labels.get(unit["unit_ror_id"], ""),
            "unit_status": record.get("status", ""),
            "parent_entity_id": parent["entity_id"],
            "parent_entity_group": parent["entity_group"],
            "unit_entity_group": group,
            "relationship_source": "|".join(s for s in (REL_SOURCE, CORE) if s in unit["sources"]),
            **{k: parent[k] for k in PARENT_FLAGS},
            "unit_link": links.get((unit["direct_parent_ror_id"], unit["unit_ror_id"]), "child"),
            "tags": flags_for(group, parent["aspi_risk_level"])["tags"],
        })
    rows.sort(key=lambda r: (r["parent_entity_id"], r["depth"], r["unit_ror_id"]))
    return rows
