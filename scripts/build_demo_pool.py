"""Rebuild the demo generator's pool of real institution and funder records.

Maintenance script, run by hand when the sample data changes, given the folder holding `reference-data/` and
`openalex-samples/`:
    python scripts/build_demo_pool.py <data folder>
It writes dagster_project/demo_data/demo_pool/{institutions,funders}.jsonl. Nothing reads that folder at run time.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "dagster_project" / "demo_data" / "demo_pool"
EUROPE = set(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB NO CH IS LI".split()
)
OTHER = {"US", "JP", "CA", "KR", "AU", "IN", "SG"}
# The group -> tag rule of the seeds (seeds/risk_entity_groups.csv), read, never restated, through the seed
# builder's map from the source list's groups to the seeds' (an empty one: a *_child row, a unit).
sys.path.insert(0, str(ROOT))
from dagster_project.study_definitions import risk_entity_groups  # noqa: E402

SOURCE_GROUPS = {r["source_group"]: r["entity_group"] for r in csv.DictReader(
    line for line in (ROOT / "scripts" / "seed_builder" / "curated" / "source_groups.csv").open(encoding="utf-8")
    if not line.startswith("#")) if r["source_list"] == "seven_sons_and_pla_core"}
GROUPS = risk_entity_groups()
PLA_GROUPS = {g for g, flags in GROUPS.items() if flags["is_pla"]}
# Entities whose group is unambiguous in both lists and that publish: the demo draws partners only from these.
PARTNER_GROUPS = {g for g, flags in GROUPS.items() if flags["is_defence_linked"]} - {"pla_parent_org", "state_defence_agency"}
# Chinese funders that are not government bodies (a state-owned group, a university), so that the demo's
# government-funded works are a true subset of its China-funded ones: (id in the pool, ROR id, alternate titles).
NON_GOVERNMENT_FUNDERS = [("https://openalex.org/F9303167377", "0098hst83", ["CETC"]),
                          ("https://openalex.org/F9303167378", "00a2xv884", [])]
# Well-known AI partners, weighted by their rough share of Europe–China AI papers.
CIVIL_WEIGHTS = {
    "03cve4549": 9, "00a2xv884": 7, "0220qvk04": 7, "02v51f717": 6, "034t30j35": 6, "05qbk4x57": 4,
    "04c4dkn09": 4, "01rxvg760": 4, "0064kty71": 3, "00f1zfq44": 3, "011ashp19": 3, "04w9fbh59": 3,
}
SEVEN_SONS_WEIGHT = 5
TUM = {
    "id": "https://openalex.org/I62916508", "ror": "https://ror.org/02kkvpp62",
    "display_name": "Technical University of Munich", "country_code": "DE", "type": "education",
    "lineage": ["https://openalex.org/I62916508"],
}


def synthetic_institution_id(ror: str) -> str:
    # Deterministic, clearly outside today's OpenAlex id range, so a demo id is never taken for a real one.
    return "https://openalex.org/I9" + str(int(hashlib.sha256(ror.encode()).hexdigest(), 16) % 10**9).zfill(9)


def read_institutions(shared: Path) -> dict[str, dict]:
    samples = shared / "openalex-samples"
    records: dict[str, dict] = {}
    for name in [
        "institutions__mearman-academic-explorer__api-2025-09to11.jsonl",
        "snapshot-lines__naustica-walden-analysis__institutions-2025-11-11.jsonl",
    ]:
        for line in (samples / name).open():
            rec = json.loads(line)
            records[rec["id"]] = rec
    part = samples / "snapshot-sample__go-openalex/institutions/updated_date=2023-09-04/part_000.gz"
    for line in gzip.open(part, "rt"):
        rec = json.loads(line)
        records.setdefault(rec["id"], rec)
    return records


def trim(rec: dict, **extra) -> dict:
    ror = rec.get("ror") or ""
    if ror.count("https://ror.org/") > 1:  # a real malformed value in the snapshot
        ror = "https://ror.org/" + ror.rsplit("/", 1)[-1]
    return {
        "id": rec["id"], "ror": ror or None, "display_name": rec["display_name"],
        "country_code": rec.get("country_code"), "type": rec.get("type"),
        "lineage": rec.get("lineage") or [rec["id"]], **extra,
    }


def main(shared: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    ref = shared / "reference-data"
    pool: list[dict] = []
    seen_ror: set[str] = set()
    for rec in read_institutions(shared).values():
        cc = rec.get("country_code")
        role = "europe" if cc in EUROPE else "other" if cc in OTHER else None
        if role and rec.get("ror"):
            item = trim(rec, role=role, weight=1, tags=[], origin="openalex_sample")
            pool.append(item)
            seen_ror.add(item["ror"].rsplit("/", 1)[-1])
    pool.append({**TUM, "role": "europe", "weight": 1, "tags": [], "origin": "constructed_from_ror"})

    ror_rows = {r["ror_id"]: r for r in csv.DictReader((ref / "ror_cn_hk_mo_tw_subset.csv").open())}
    core = [r for r in csv.DictReader((ref / "seven_sons_and_pla_core.csv").open()) if r["ror_id"]]
    core_by_ror = {r["ror_id"]: r for r in core}
    china: dict[str, dict] = {}

    def add_cn(ror_id: str, name: str, weight: float, tags: list[str], parent: str | None = None) -> None:
        if ror_id in china or ror_id not in ror_rows:
            return
        oa_id = synthetic_institution_id(ror_id)
        lineage = [oa_id]
        if parent:
            lineage = [china[parent]["id"], oa_id]
        china[ror_id] = {
            "id": oa_id, "ror": f"https://ror.org/{ror_id}", "display_name": name, "country_code": "CN",
            "type": "education" if "Univ" in name else "facility", "lineage": lineage,
            "role": "china", "weight": weight, "tags": tags, "origin": "constructed_from_ror",
        }

    for ror_id, weight in CIVIL_WEIGHTS.items():
        if ror_id in ror_rows:
            add_cn(ror_id, ror_rows[ror_id]["name"].split(" (")[0], weight, [])
    for r in core:
        group = SOURCE_GROUPS.get(r["group"])
        if group not in PARTNER_GROUPS:
            continue
        tags = (["pla"] if group in PLA_GROUPS else []) + ["defence_linked"]
        weight = SEVEN_SONS_WEIGHT if group == "seven_sons" else 0.25 if group in PLA_GROUPS else 0.5
        add_cn(r["ror_id"], r["name_en"], weight, tags)
    # Child units carry no tag of their own: the warehouse must find it through lineage.
    for r in core:
        parent = r.get("parent_ror_id")
        if r["group"].endswith("_child") and parent in china:
            add_cn(r["ror_id"], r["name_en"], 0.5, [], parent=parent)
            china[r["ror_id"]]["inherited_tags"] = china[parent]["tags"]
    aspi = csv.DictReader((ref / "aspi_china_defence_universities_2019.csv").open())
    for r in aspi:
        if r["ror_id"] and r["group"] == "civilian_university" and r["ror_id"] not in core_by_ror:
            add_cn(r["ror_id"], r["aspi_name_en"], 0.4, [])
        if r["ror_id"] and r["group"] == "security_mss_mps_ccp":
            add_cn(r["ror_id"], r["aspi_name_en"], 0.3, ["security_linked"])
    pool.extend(china.values())
    with (OUT / "institutions.jsonl").open("w") as out:
        for item in sorted(pool, key=lambda x: x["id"]):
            out.write(json.dumps(item, ensure_ascii=False) + "\n")

    cn_funders = {r["ror_id"]: r for r in csv.DictReader((ref / "chinese_funders.csv").open())}
    by_fundref = {f: r for r in cn_funders.values() for f in r["fundref_all"].split("|") if f}
    funders = []
    for line in (shared / "openalex-samples/funders__mearman-academic-explorer__api-2025-09to11.jsonl").open():
        rec = json.loads(line)
        ids = rec.get("ids") or {}
        ror = (ids.get("ror") or "").rsplit("/", 1)[-1] or None
        funders.append({
            "id": rec["id"], "display_name": rec["display_name"], "country_code": rec.get("country_code"),
            "ids": {"openalex": rec["id"], "ror": ids.get("ror"), "crossref": ids.get("crossref")},
            "alternate_titles": rec.get("alternate_titles") or [],
            # The same rule the warehouse applies: match the Chinese funders list by ROR, else by FundRef id.
            "chinese_government": (
                cn_funders.get(ror) or by_fundref.get(ids.get("crossref") or "") or {}
            ).get("chinese_government") == "yes",
            "origin": "openalex_sample",
        })
    sastind = cn_funders["01g7jaj47"]
    funders.append({
        "id": "https://openalex.org/F9" + sastind["ror_id"].encode().hex()[:9], "display_name": sastind["name"],
        "country_code": "CN", "ids": {"ror": "https://ror.org/01g7jaj47", "crossref": None},
        "alternate_titles": ["SASTIND"], "chinese_government": True, "origin": "constructed_from_ror",
    })
    for openalex_id, ror_id, titles in NON_GOVERNMENT_FUNDERS:
        listed = cn_funders.get(ror_id)
        funders.append({
            "id": openalex_id, "display_name": listed["name"] if listed else ror_rows[ror_id]["name"].split(" (")[0],
            "country_code": "CN", "ids": {"ror": f"https://ror.org/{ror_id}",
                                          "crossref": listed["fundref_preferred"] if listed else None},
            "alternate_titles": titles, "chinese_government": False, "origin": "constructed_from_ror",
        })
    with (OUT / "funders.jsonl").open("w") as out:
        for item in sorted(funders, key=lambda x: x["id"]):
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{len(pool)} institutions ({len(china)} Chinese), {len(funders)} funders -> {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("Usage: python scripts/build_demo_pool.py <folder holding reference-data/ and openalex-samples/>")
    main(Path(sys.argv[1]))
