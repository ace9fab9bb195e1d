"""risk_name_collisions: names that look like a listed name but name another body, curated
(curated/name_collisions.csv) and found by checking every listed name against the ROR subset."""

from __future__ import annotations

from functools import cache

from .files import curated
from .names import contains_name, is_acronym, is_generic, normalise_name, raw_names, ror_names, script_of, variants

COLLISION_COLUMNS = ["name_normalised", "name", "what_it_names", "country_code", "why", "source", "resembles_entity_ids",
                     "found_by"]


@cache
def same_body_records() -> frozenset[str]:
    """ROR ids of records that carry a listed name but are the listed body itself (curated/same_body_records.csv)."""
    return frozenset(r["ror_id"] for r in curated("same_body_records"))


COMPASS = {"north", "south", "east", "west", "northern", "southern", "eastern", "western", "northeast", "northwest",
           "southeast", "southwest", "northeastern", "northwestern", "southeastern", "southwestern", "central"}


def listed_rors(entities: list[dict], units: list[dict]) -> set[str]:
    return {e["ror_id"] for e in entities if e["ror_id"]} | {u["unit_ror_id"] for u in units}


def names_another_body(longer: str, listed: str) -> bool:
    """A longer name around a listed name is another body's when it extends the name ("Beijing University of
    Technology" around "Beijing University") or sets a direction or "National" before it ("West Anhui University",
    "National Sun Yat-sen University"); a hospital, campus or lab "of" the listed body ("West China Hospital of
    Sichuan University") is not."""
    before, _, after = f" {longer} ".partition(f" {listed} ")
    return after.split()[:1] in (["of"], ["for"]) or before.split()[-1:] in [[w] for w in COMPASS | {"national"}]



def ror_collisions(candidates: dict[str, set[str]], entities: list[dict], units: list[dict],
                   ror_records: dict[str, dict], relationships: list[dict]) -> list[dict]:
    """Names of ROR records that are neither a risk entity, one of its units, nor related to one in ROR, and that
    equal a listed name, name another body around a listed latin name of two or more tokens (see
    names_another_body), or, outside the mainland, hold a listed Chinese name. `candidates`: normalised listed name
    -> entity ids."""
    listed = listed_rors(entities, units)
    own_rors = {e["entity_id"]: {e["ror_id"]} for e in entities}
    edges: dict[str, set[str]] = {}
    for r in relationships:
        edges.setdefault(r["ror_id"], set()).add(r["related_ror_id"])
        edges.setdefault(r["related_ror_id"], set()).add(r["ror_id"])
    multi_token = {n for n in candidates if script_of(n) == "latin" and len(n.split()) >= 2}
    long_cjk = {n for n in candidates if script_of(n) == "cjk" and not is_acronym(n, n)}
    rows = []
    for ror_id, record in sorted(ror_records.items()):
        if ror_id in listed or ror_id in same_body_records() or record["status"] == "withdrawn":
            continue

        def unrelated(entity_ids: set[str], ror_id: str = ror_id) -> list[str]:
            """The entities the record has no ROR edge to (a hospital ROR relates to a university is the
            university's)."""
            return sorted(e for e in entity_ids if not edges.get(ror_id, set()) & own_rors[e])

        for name, _, field in ror_names(record, "official", "ror"):
            normalised = normalise_name(name)
            if not normalised:
                continue
            if normalised in candidates:
                held = unrelated(candidates[normalised])
                why = f"The ROR record's {field.split('.')[-1]} equals a name of {', '.join(held)}."
            else:
                inner = sorted(n for n in multi_token if script_of(normalised) == "latin"
                               and contains_name(normalised, n) and names_another_body(normalised, n)
                               and unrelated(candidates[n]))
                held_cjk = sorted(n for n in long_cjk if n in normalised and unrelated(candidates[n]))
                if record["country_code"] != "CN":
                    inner += held_cjk
                    # 國立東華大學 (Hualien) is often written 東華大學, a ROR alias of Donghua University (Shanghai):
                    # in Hong Kong, Macao and Taiwan the shorter name is a collision of its own.
                    rows += [{"name_normalised": n, "name": n, "what_it_names": f"{record['name']} ({ror_id})",
                              "country_code": record["country_code"],
                              "why": f"Held in the name {name} of a body outside the mainland, which writes it in the "
                                     f"same characters; also a name of {', '.join(unrelated(candidates[n]))}.",
                              "source": f"https://ror.org/{ror_id}", "found_by": "ror_subset_check"} for n in held_cjk]
                held = unrelated({e for n in inner for e in candidates[n]})
                why = f"Holds {', '.join(repr(n) for n in inner)}, a name of {', '.join(held)}, but names another body."
            if not held:
                continue
            rows.append({"name_normalised": normalised, "name": name,
                         "what_it_names": f"{record['name']} ({ror_id})", "country_code": record["country_code"],
                         "why": why, "source": f"https://ror.org/{ror_id}", "found_by": "ror_subset_check"})
    return rows


def build_collisions(entities: list[dict], units: list[dict], ror_records: dict[str, dict],
                     relationships: list[dict]) -> list[dict]:
    """risk_name_collisions: the curated look-alikes, then those the ROR subset shows. One row per (name, country);
    `resembles_entity_ids` lists the entities with a name equal to it or held in it."""
    candidates: dict[str, set[str]] = {}
    for raw in raw_names(entities, units, ror_records):
        for form, _ in variants(raw["name"]):
            normalised = normalise_name(form)
            if normalised and not is_generic(normalised):
                candidates.setdefault(normalised, set()).add(raw["entity_id"])
    rows = [{"name_normalised": normalise_name(name), "name": name, "what_it_names": what, "country_code": country,
             "why": why, "source": source, "found_by": "curated"}
            for name, what, country, why, source in (row.values() for row in curated("name_collisions"))]
    rows += ror_collisions(candidates, entities, units, ror_records, relationships)
    kept: dict[tuple[str, str], dict] = {}
    for row in rows:
        kept.setdefault((row["name_normalised"], row["country_code"]), row)
    for row in kept.values():
        row["resembles_entity_ids"] = "|".join(sorted(
            {e for n, ids in candidates.items() if n == row["name_normalised"]
             or (not is_acronym(n, n) and contains_name(row["name_normalised"], n)) for e in ids}))
    return sorted(kept.values(), key=lambda r: (r["name_normalised"], r["country_code"]))

