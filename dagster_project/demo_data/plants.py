"""What real affiliations do that the demo plants, a few works each, so the figures stay readable.

* Text evidence: a listed PLA (or defence-linked) body named only in an affiliation string OpenAlex resolved to no
  listed institution, by its English name, an alias or its Chinese name; one beside a string that was resolved (to a
  civilian partner), one on a work that has a PLA partner anyway (so the text is not its only evidence).
* Traps: strings the text matcher must never tag (seed risk_name_collisions: CSIC, Northeastern University in
  Boston, USC, SDU, a university whose name holds a listed one, armed forces outside China, Taiwan and Hong Kong).
* Review candidates: unlisted Chinese partners, and unresolved strings, worded like a military or security body.
* An author listed twice on one work; stripped institution objects (an id and a name, as real API records carry
  some), which the institution records fill: in the snapshot only (`strip_for_snapshot`), as the OpenAlex stand-in
  of the API tests filters on the objects it serves.
Hosts are Europe–China AI works of the study, taken in order, one phenomenon each, never one of TU Munich's (left as
drawn: the study follows its links, and its page, the top-ranked, is the report's worked example); what each string
names is stated here, and the tests (tests/planted/planted_affiliations.py) work the expected figures out from it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from . import study
from .affiliations import layout, set_strings, string_for

STUDY = study.load()
LEFT_AS_DRAWN_ROR = "https://ror.org/02kkvpp62"  # TU Munich (generator.TUM_ROR)
TRAP_INSTITUTIONS_FILE = Path(__file__).parent / "demo_pool" / "trap_institutions.jsonl"
USC = "https://openalex.org/I1174212"  # in the pool (role other)


@dataclass(frozen=True)
class TextEvidence:
    key: str
    text: str
    entity_ids: tuple[str, ...]  # the listed entities (seed risk_entities) the string names
    host: str = "untagged"  # untagged: no PLA, defence- or security-linked partner; pla: a PLA partner
    beside_resolved: bool = False  # a second string of an authorship resolved to a civilian partner
    layouts: tuple[str, ...] = ()  # the schema eras' layouts it is planted in, where a host is (affiliations.layout)


TEXT_EVIDENCE = (
    TextEvidence("english_name", "The Fifth Medical Center of PLA General Hospital, Beijing 100039, China",
                 ("chinese_pla_general_hospital",), layouts=("per_string",)),
    TextEvidence("alias", "Central Theater, People's Liberation Army General Hospital, Wuhan, China",
                 ("general_hospital_of_central_theater_command",), layouts=("list",)),
    TextEvidence("chinese_name", "中国人民解放军总医院第五医学中心，北京 100039，中国", ("chinese_pla_general_hospital",),
                 layouts=("per_string",)),
    TextEvidence("alias_beside_a_resolved_string",
                 "Department of Radiology, Xijing Hospital, Fourth Military Medical University, Xi'an 710032, China",
                 ("air_force_medical_university",), beside_resolved=True, layouts=("list", "per_string")),
    TextEvidence("defence_linked_not_pla",
                 "The 28th Research Institute of China Electronics Technology Group Corporation, Nanjing 210007, China",
                 ("china_electronics_technology_group_corporation",), layouts=("single",)),
    TextEvidence("beside_a_pla_partner",
                 "Department of Orthopedics, Changhai Hospital, Second Military Medical University, Shanghai 200433, China",
                 ("changhai_hospital", "navy_medical_university"), host="pla"),
)


@dataclass(frozen=True)
class Trap:
    text: str
    country: str  # OpenAlex's authorships[].countries for it
    institution_ids: tuple[str, ...] = ()  # what OpenAlex resolved it to (none: unresolved)


# One host work per group. Strings after real ones (tests/fixtures/affiliations); institutions from real records.
TRAPS = (
    (Trap("School of Computer Science, Nanjing University of Information Science and Technology, Nanjing 210044, "
          "China", "CN"),
     Trap("Protein Design Group, CNB-CSIC, Cantoblanco, E-28049 Madrid, Spain", "ES")),
    (Trap("United States Military Malaria Vaccine Program, Walter Reed Army Institute of Research, Silver Spring, "
          "Maryland, United States of America", "US", ("https://openalex.org/I92664306",)),
     Trap("Khoury College of Computer Sciences, Northeastern University, Boston, MA, USA", "US",
          ("https://openalex.org/I12912129",)),
     Trap("USC Information Sciences Institute, Marina del Rey, CA, USA", "US", (USC,))),
    (Trap("Medical Corps, Israel Defense Forces, Ramat Gan, Israel", "IL", ("https://openalex.org/I4210150803",)),
     Trap("Department of Chemistry, Nigerian Defence Academy, Kaduna, Nigeria", "NG", ("https://openalex.org/I33783412",))),
    (Trap("Division of Cardiovascular Surgery, Department of Surgery, Tri-Service General Hospital, National Defense "
          "Medical Center, Taipei, Taiwan", "TW", ("https://openalex.org/I1293718874", "https://openalex.org/I68171755")),
     Trap("Department of Computer Science, The University of Hong Kong, Pokfulam, Hong Kong, China", "HK",
          ("https://openalex.org/I889458895",)),
     Trap("SDU Robotics, Maersk Mc-Kinney Moller Institute, University of Southern Denmark, Odense, Denmark", "DK")),
)


@dataclass(frozen=True)
class ReviewCandidate:
    name: str  # an institution's display name, or an unresolved string
    hosts: int  # on how many works
    terms: tuple[str, ...]  # the review words (var risk_review_terms) it holds, sorted
    key: str = ""  # an unresolved string's normal form (macro normalise_affiliation_text)
    city: str = ""  # an institution's


REVIEW_PARTNERS = (
    ReviewCandidate("PLA Unit 61541 Institute (synthetic demo partner)", 2, ("pla",), city="Beijing"),
    ReviewCandidate("Armed Police Logistics College (synthetic demo partner)", 1, ("armed police",), city="Tianjin"),
)
REVIEW_STRINGS = (
    ReviewCandidate("Department of Neurosurgery, Armed Police Corps Hospital of Henan Province, Zhengzhou 450052, China",
                    2, ("armed police",),
                    key="department of neurosurgery armed police corps hospital of henan province zhengzhou 450052 china"),
    ReviewCandidate("解放军第四五四医院，南京 210002，中国", 1, ("军", "解放军"), key="解放军第四五四医院南京 210002 中国"),
)


def _synthetic_id(name: str) -> str:
    # Outside OpenAlex's range, like the generator's synthetic labs.
    return f"https://openalex.org/I8{int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**9:09d}"


def review_partner_record(candidate: ReviewCandidate) -> dict:
    inst_id = _synthetic_id(candidate.name)
    return {"id": inst_id, "ror": None, "display_name": candidate.name, "country_code": "CN", "type": "facility",
            "lineage": [inst_id], "role": "review_partner", "weight": 0, "tags": [], "origin": "synthetic_demo_partner"}


def planted_institutions() -> list[dict]:
    """The institution records the plants use and the generator never draws: traps and review partners."""
    traps = [json.loads(line) for line in TRAP_INSTITUTIONS_FILE.open(encoding="utf-8")]
    return traps + [review_partner_record(c) for c in REVIEW_PARTNERS]


def public(inst: dict) -> dict:
    """An institution as it appears inside a work's authorship."""
    return {k: inst[k] for k in ("id", "display_name", "ror", "country_code", "type", "lineage")}


def work_number(record: dict) -> int:
    return int(record["id"].rsplit("W", 1)[-1]) - 7_000_000_000


def _add_authorship(record: dict, strings: list[tuple[str, list[str]]], institutions: list[dict], countries: list[str]) -> None:
    n, k = work_number(record), len(record["authorships"])
    authorship = {
        "author_position": "middle",
        "author": {"id": f"https://openalex.org/A{5_000_000_000 + n * 10 + k}", "display_name": f"Author {n}-{k}"},
        "institutions": [public(i) for i in institutions], "countries": countries,
    }
    set_strings(record, authorship, strings)
    record["authorships"].append(authorship)


def eu_cn_in_scope(rec: dict) -> bool:
    """A Europe–China AI work of the study, as the demo draws it (institutions' countries, concept or subfield)."""
    countries = {i.get("country_code") for a in rec["authorships"] for i in a["institutions"]}
    ai = any(c["id"] == STUDY.ai_concept for c in rec["concepts"]) or any(
        t["subfield"]["id"].endswith("/" + STUDY.ai_subfield) for t in rec.get("topics") or [])
    return (STUDY.period[0] <= rec["publication_year"] <= STUDY.period[1] and rec["language"] == STUDY.language
            and not rec["is_retracted"] and not rec["is_paratext"] and ai
            and bool(countries & STUDY.europe) and bool(countries & STUDY.china))


def has_institution(rec: dict, ror: str) -> bool:
    return any(i.get("ror") == ror for a in rec["authorships"] for i in a["institutions"])


class _Hosts:
    """Europe–China AI works of the study in order; each taken once."""

    def __init__(self, records: list[dict], tags: dict[str, set[str]]):
        self.tags, self.used = tags, set()
        self.records = [r for r in records if self._eu_cn_in_scope(r)]

    def _eu_cn_in_scope(self, rec: dict) -> bool:
        return eu_cn_in_scope(rec) and not has_institution(rec, LEFT_AS_DRAWN_ROR)

    def partner_tags(self, rec: dict) -> list[set[str]]:
        return [self.tags.get(i["id"], set()) for a in rec["authorships"] for i in a["institutions"]
                if i.get("country_code") in STUDY.china]

    def fits(self, rec: dict, kind: str) -> bool:
        """untagged: no PLA, defence- or security-linked partner; pla: a PLA partner; all_pla: only PLA partners."""
        partners = self.partner_tags(rec)
        if kind == "untagged":
            return not any(t & {"pla", "defence_linked", "security_linked"} for t in partners)
        return any("pla" in t for t in partners) if kind == "pla" else all("pla" in t for t in partners)

    def take(self, kind: str = "untagged", layouts: tuple[str, ...] = ()) -> dict | None:
        """The first free host of this kind, in one of `layouts` if any is (a layout exercises a schema era)."""
        free = [r for r in self.records if r["id"] not in self.used and self.fits(r, kind)]
        rec = next((r for r in free if layout(r) in layouts), free[0] if free else None)
        if rec is not None:
            self.used.add(rec["id"])
        return rec


def risk_tags(pool) -> dict[str, set[str]]:
    return {i["id"]: set(i["tags"]) | set(i.get("inherited_tags") or []) for i in pool.china}


def plant(records: list[dict], pool) -> None:
    """Plant the phenomena above in `records` (the latest versions; `pool` a generator.Pool), in place; a phenomenon
    without a host (a very small demo) is left out."""
    by_id = {i["id"]: i for i in pool.institutions()}
    hosts = _Hosts(records, risk_tags(pool))
    for evidence in TEXT_EVIDENCE:
        rec = hosts.take(evidence.host, evidence.layouts)
        if rec is None:
            continue
        if evidence.beside_resolved:
            k, authorship = next((k, a) for k, a in enumerate(rec["authorships"])
                                 if any(i["country_code"] in STUDY.china for i in a["institutions"]))
            resolved = [(string_for(i, work_number(rec), k), [i["id"]]) for i in authorship["institutions"]]
            set_strings(rec, authorship, [*resolved, (evidence.text, [])])
        else:
            _add_authorship(rec, [(evidence.text, [])], [], ["CN"])
    for group in TRAPS:
        rec = hosts.take()
        for trap in group if rec else ():
            _add_authorship(rec, [(trap.text, list(trap.institution_ids))], [by_id[i] for i in trap.institution_ids],
                            [trap.country])
    for candidate in REVIEW_PARTNERS:
        partner = by_id[review_partner_record(candidate)["id"]]
        for rec in filter(None, (hosts.take() for _ in range(candidate.hosts))):
            k = len(rec["authorships"])
            _add_authorship(rec, [(string_for(partner, work_number(rec), k, (candidate.city, "China")), [partner["id"]])],
                            [partner], ["CN"])
    for candidate in REVIEW_STRINGS:
        for rec in filter(None, (hosts.take() for _ in range(candidate.hosts))):
            _add_authorship(rec, [(candidate.name, [])], [], ["CN"])
    rec = hosts.take()
    if rec:  # the same author, at the same institution, listed again at the end (as real records do)
        first = next(a for a in rec["authorships"] if any(i["country_code"] in STUDY.europe for i in a["institutions"]))
        rec["authorships"].append(copy.deepcopy(first))


def strip_for_snapshot(records: list[dict], pool) -> list[dict]:
    """`records` as the snapshot holds them: on two works, taken from the end, institution objects stripped to an id
    and a name (as some API records are): every Chinese one of a work whose partners are all PLA, and every European
    one of another. Either work is Europe–China only once the institution records fill the country back in."""
    hosts = _Hosts(list(reversed(records)), risk_tags(pool))
    chosen = {}
    for kind, side in (("all_pla", STUDY.china), ("untagged", STUDY.europe)):
        rec = hosts.take(kind, ("list", "per_string"))
        if rec is not None and layout(rec) != "single":
            chosen[rec["id"]] = side
    out = []
    for rec in records:
        if rec["id"] in chosen:
            rec = copy.deepcopy(rec)
            for authorship in rec["authorships"]:
                authorship["institutions"] = [{"id": i["id"], "display_name": i["display_name"]}
                                              if i["country_code"] in chosen[rec["id"]] else i
                                              for i in authorship["institutions"]]
        out.append(rec)
    return out
