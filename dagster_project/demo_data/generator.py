"""A deterministic synthetic OpenAlex snapshot for the offline demo, the tests and the benchmarks.

Works are synthetic; the institutions and funders they cite are real OpenAlex/ROR records (see
demo_pool/PROVENANCE.md). Proportions follow the study: most works are not Europe–China, EU–CN is
about 5-10 % of Europe's AI output and rising, the UK is on about half of EU–CN works, a few partners
are PLA or Seven Sons, and all four OpenAlex schema eras appear. Some works appear twice, in an older
and a newer partition, with the newer record changed: only the newest may count. What separates the sensitivity
figures' definition sets is planted too: the AI concept listed at score 0, below and at the assignment threshold,
with and without an AI topic; Chinese partners ASPI rates very high that no list calls defence-linked; works
whose only European institutions are Swiss or Norwegian, outside the narrower Europe (EU27 + UK). Authorships carry
raw affiliation strings in each era's layout (`affiliations`), and a few works what real affiliations do (`plants`):
PLA bodies named only in unresolved strings, traps, an author listed twice, unlisted military-sounding partners.

`generate_records` makes the records; `snapshot.generate_snapshot` writes them in the 2026 snapshot layout,
and the tests (tests/planted) work out the figures planted in them. Europe, the period and the AI concept come from the
study's definitions (`study.load()`: dbt vars and the countries seed).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..study_definitions import dbt_vars
from . import affiliations, plants, study

POOL_DIR = Path(__file__).parent / "demo_pool"
GENERATOR_VERSION = 9  # 7: raw affiliation strings; 8: what real affiliations do (plants.py); 9: non-government Chinese funders
# Of the works with a Chinese funder, the share whose Chinese funder is not a government one (a university, a
# state-owned enterprise): the demo's government funding is a true subset of its Chinese funding, as in MERICS'
# figures (about 80 % China-funded against 60 % Chinese-government-funded).
NON_GOVERNMENT_SHARE = 0.25
STUDY = study.load()
PERIOD = STUDY.period
EUROPE = STUDY.europe
YEARS = list(range(PERIOD[0] - 1, PERIOD[1] + 2))  # one year either side of the study period
AI_CONCEPT = STUDY.ai_concept
# The sensitivity dimensions the dbt vars name, beside the definitions in force (dbt/dbt_project.yml).
DBT_VARS = dbt_vars(required=("ai_concept_min_score", "ai_broad_extra_subfield_id", "ai_definition", "ai_definitions",
                              "europe_definitions", "risk_list_variant", "risk_list_variants", "risk_evidence",
                              "risk_evidences", "country_attribution", "country_attributions"))
AI_CONCEPT_MIN_SCORE = float(DBT_VARS["ai_concept_min_score"])
TUM_ROR = plants.LEFT_AS_DRAWN_ROR
# Share of Europe–China works each European country takes part in (the UK near half, as MERICS found).
EU_CN_COUNTRY_WEIGHTS = {
    "GB": 45, "DE": 12, "FR": 7, "NL": 5, "IT": 5, "CH": 5, "SE": 4, "ES": 3, "BE": 3, "NO": 3, "FI": 2,
    "CZ": 2, "PL": 2, "AT": 1, "DK": 1, "PT": 1,
}
ERAS = {  # era -> updated_date partitions
    "2021_host_venue": ["2021-11-03", "2021-12-14"],
    "grants": ["2024-06-12", "2025-03-20"],
    "grants_funders_awards": ["2025-11-11"],
    "funders_awards": ["2026-03-02", "2026-05-11"],
}
DEFENCE_PROGRAMME = "National Defense Basic Scientific Research Program of China"
AI_TOPIC = {
    "id": "https://openalex.org/T10320", "display_name": "Neural Networks and Applications",
    "subfield": {"id": "https://openalex.org/subfields/1702", "display_name": "Artificial Intelligence"},
    "field": {"id": "https://openalex.org/fields/17", "display_name": "Computer Science"},
    "domain": {"id": "https://openalex.org/domains/3", "display_name": "Physical Sciences"},
}
CV_TOPIC = {
    "id": "https://openalex.org/T10052", "display_name": "Medical Image Segmentation Techniques",
    "subfield": {"id": "https://openalex.org/subfields/1707", "display_name": "Computer Vision and Pattern Recognition"},
    "field": {"id": "https://openalex.org/fields/17", "display_name": "Computer Science"},
    "domain": {"id": "https://openalex.org/domains/3", "display_name": "Physical Sciences"},
}
OTHER_TOPIC = {
    "id": "https://openalex.org/T13438", "display_name": "Environmental Conservation and Management",
    "subfield": {"id": "https://openalex.org/subfields/2308", "display_name": "Management, Monitoring, Policy and Law"},
    "field": {"id": "https://openalex.org/fields/23", "display_name": "Environmental Science"},
    "domain": {"id": "https://openalex.org/domains/3", "display_name": "Physical Sciences"},
}
DUAL_USE_TOPIC = {
    "id": "https://openalex.org/T10711", "display_name": "Target Tracking and Data Fusion in Sensor Networks",
    "subfield": {"id": "https://openalex.org/subfields/1702", "display_name": "Artificial Intelligence"},
    "field": {"id": "https://openalex.org/fields/17", "display_name": "Computer Science"},
    "domain": {"id": "https://openalex.org/domains/3", "display_name": "Physical Sciences"},
}
# Labs without a ROR id of their own, under a risk-list parent: OpenAlex knows them only through `lineage`,
# so the warehouse can tag them only by looking the lineage up (a lab under NUDT inherits NUDT's tags).
# (parent ROR id, name); their ids are synthetic and outside OpenAlex's range, like the pool's constructed ones.
SYNTHETIC_LABS = [
    ("https://ror.org/05d2yfz11", "College of Intelligence Science and Technology, NUDT (synthetic demo lab)"),
    ("https://ror.org/00wk2mp56", "Institute of Artificial Intelligence, Beihang University (synthetic demo lab)"),
]


def _synthetic_lab(parent: dict, name: str) -> dict:
    number = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**9
    lab_id = f"https://openalex.org/I8{number:09d}"
    return {
        "id": lab_id, "ror": None, "display_name": name, "country_code": "CN", "type": "facility",
        "lineage": [parent["id"], lab_id], "role": "china", "weight": 0.5, "tags": [],
        "inherited_tags": list(parent["tags"]), "origin": "synthetic_demo_lab",
    }


@dataclass
class Pool:
    europe: dict[str, list[dict]]
    china: list[dict]
    other: list[dict]
    funders: dict[str, list[dict]] = field(default_factory=dict)
    planted: list[dict] = field(default_factory=list)  # institutions only the plants use (plants.py)

    @classmethod
    def load(cls) -> Pool:
        europe: dict[str, list[dict]] = defaultdict(list)
        china, other = [], []
        for line in (POOL_DIR / "institutions.jsonl").open():
            rec = json.loads(line)
            if rec["role"] == "europe":
                europe[rec["country_code"]].append(rec)
            elif rec["role"] == "china":
                china.append(rec)
            else:
                other.append(rec)
        by_ror = {rec["ror"]: rec for rec in china if rec.get("ror")}
        china.extend(_synthetic_lab(by_ror[parent], name) for parent, name in SYNTHETIC_LABS if parent in by_ror)
        funders: dict[str, list[dict]] = defaultdict(list)
        for line in (POOL_DIR / "funders.jsonl").open():
            rec = json.loads(line)
            key = "CN" if rec["country_code"] == "CN" else "EU" if rec["country_code"] in EUROPE or rec["country_code"] is None else "OTHER"
            funders[key].append(rec)
        return cls(dict(europe), china, other, dict(funders), plants.planted_institutions())

    def institutions(self) -> list[dict]:
        return [i for group in self.europe.values() for i in group] + self.china + self.other + self.planted


def _ai_score(n: int, assigned: float) -> float:
    """The AI concept's score on work `n`. As in real records, some works list the concept at 0 or below the
    assignment threshold (var ai_concept_min_score), with and without an AI topic, so the concept-score AI
    definitions differ from the others; of ten works one lists it at 0, two below the threshold and one exactly on
    it. Taken from the work's number, not the random stream, so every other planted figure stays as it was."""
    below = round(AI_CONCEPT_MIN_SCORE * 0.4, 6)
    return {0: 0.0, 3: below, 6: AI_CONCEPT_MIN_SCORE, 7: below}.get(n % 10, assigned)


class _Generator:
    def __init__(self, pool: Pool, seed: int):
        self.pool = pool
        self.rng = random.Random(seed)
        # Its own stream: drawing a non-government funder leaves every other draw of the demo as it was.
        self.funder_rng = random.Random(f"{seed}-chinese-funders")
        self.government_funders = [f for f in pool.funders.get("CN", []) if f["chinese_government"]]
        self.other_chinese_funders = [f for f in pool.funders.get("CN", []) if not f["chinese_government"]]
        self.china_weights = [c["weight"] for c in pool.china]
        self.eu_countries = [c for c in EU_CN_COUNTRY_WEIGHTS if c in pool.europe]
        self.eu_weights = [EU_CN_COUNTRY_WEIGHTS[c] for c in self.eu_countries]
        self.tum = next(i for g in pool.europe.values() for i in g if i["ror"] == TUM_ROR)

    def europe_inst(self) -> dict:
        country = self.rng.choices(self.eu_countries, self.eu_weights)[0]
        if country == "DE" and self.rng.random() < 0.45:
            return self.tum
        return self.rng.choice(self.pool.europe[country])

    def china_inst(self) -> dict:
        return self.rng.choices(self.pool.china, self.china_weights)[0]

    def work(self, n: int, year: int) -> dict:
        rng = self.rng
        # Europe–China share of all works rises from ~3 % to ~6 % across the years.
        eu_cn_p = 0.025 + 0.005 * (year - YEARS[0])
        kind = rng.choices(
            ["eu_cn", "europe", "china", "other", "europe_other", "china_other"],
            [eu_cn_p, 0.38, 0.30, 0.17, 0.06, 0.06],
        )[0]
        groups: list[list[dict]] = []
        if kind in ("eu_cn", "europe", "europe_other"):
            groups.append([self.europe_inst() for _ in range(rng.randint(1, 2))])
        if kind in ("eu_cn", "china", "china_other"):
            groups.append([self.china_inst() for _ in range(rng.randint(1, 2))])
        if kind in ("other", "europe_other", "china_other"):
            groups.append([rng.choice(self.pool.other)])
        authorships = []
        for insts in groups:
            for inst in insts:
                authorships.append([inst])
        if kind == "eu_cn" and rng.random() < 0.1:
            # One author with a European and a Chinese affiliation: still a Europe–China work.
            authorships = [[self.europe_inst(), self.china_inst()]]
        if rng.random() < 0.2:
            authorships.append([])  # an author without an institution adds no country
        rng.shuffle(authorships)

        ai_roll = rng.random()
        concepts = [{"id": "https://openalex.org/C41008148", "display_name": "Computer science", "level": 0, "score": 0.6}]
        topics = [OTHER_TOPIC]
        if ai_roll < 0.35:
            concepts.append({"id": AI_CONCEPT, "display_name": "Artificial intelligence", "level": 1, "score": _ai_score(n, 0.5)})
            topics = [AI_TOPIC]
        elif ai_roll < 0.6:
            concepts.append({"id": AI_CONCEPT, "display_name": "Artificial intelligence", "level": 1, "score": _ai_score(n, 0.4)})
        elif ai_roll < 0.82:
            topics = [AI_TOPIC, OTHER_TOPIC]
        elif ai_roll < 0.9:
            topics = [CV_TOPIC]  # AI only under the broad definition
        if kind == "eu_cn" and rng.random() < 0.05 and topics[0] is not OTHER_TOPIC:
            topics = [DUAL_USE_TOPIC] + topics
        era = rng.choices(list(ERAS), [0.1, 0.4, 0.2, 0.3])[0]
        work_id = f"https://openalex.org/W{7_000_000_000 + n}"
        record = {
            "id": work_id,
            "doi": f"https://doi.org/10.5555/demo.{n}",
            "title": f"Synthetic AI study {n}",
            "display_name": f"Synthetic AI study {n}",
            "publication_year": year,
            "publication_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "language": rng.choices(["en", "de", "zh", "fr"], [0.95, 0.02, 0.02, 0.01])[0],
            "type": "article",
            "is_retracted": rng.random() < 0.005,
            "is_paratext": rng.random() < 0.005,
            "updated_date": rng.choice(ERAS[era]) + "T00:00:00.000000",
            "authorships": [
                {
                    "author_position": "middle",
                    "author": {"id": f"https://openalex.org/A{5_000_000_000 + n * 10 + k}", "display_name": f"Author {n}-{k}"},
                    "institutions": [plants.public(i) for i in insts],
                    "countries": sorted({i["country_code"] for i in insts}),
                }
                for k, insts in enumerate(authorships)
            ],
            "concepts": concepts,
        }
        if era == "2021_host_venue":
            record["host_venue"] = {"id": "https://openalex.org/S137773608", "display_name": "Nature"}
            record["type"] = "journal-article"
        else:
            record["topics"] = topics
            record["primary_topic"] = topics[0]
            self._funding(record, era, kind, groups)
        affiliations.dress(record, n)
        return record

    def _funding(self, record: dict, era: str, kind: str, groups: list[list[dict]]) -> None:
        rng = self.rng
        chosen: list[tuple[dict, str | None, str | None]] = []  # funder, award id, award name
        if rng.random() < 0.6:
            if kind in ("eu_cn", "china", "china_other") and rng.random() < 0.8:
                funder = rng.choice(self.government_funders)
                if self.other_chinese_funders and self.funder_rng.random() < NON_GOVERNMENT_SHARE:
                    funder = self.funder_rng.choice(self.other_chinese_funders)
                chosen.append((funder, f"6{rng.randint(1000000, 9999999)}", None))
            if kind in ("eu_cn", "europe", "europe_other") and rng.random() < 0.7:
                chosen.append((rng.choice(self.pool.funders["EU"]), None, None))
            if kind == "eu_cn" and rng.random() < 0.04:
                sastind = next(f for f in self.pool.funders["CN"] if "National Defense" in f["display_name"])
                award = f"JCKY{rng.randint(2017, 2022)}{rng.randint(100, 999)}B{rng.randint(1, 99):03d}"
                chosen.append((sastind, award, DEFENCE_PROGRAMME))
            if not chosen:
                chosen.append((rng.choice(self.pool.funders["OTHER"] or self.pool.funders["EU"]), None, None))
        grants = [
            {"funder": f["id"], "funder_display_name": name or f["display_name"], "award_id": award}
            for f, award, name in chosen
        ]
        funders = [{"id": f["id"], "display_name": f["display_name"], "ror": f["ids"].get("ror")} for f, _, _ in chosen]
        awards = [
            {
                "id": f"https://openalex.org/G{rng.randint(10**9, 10**10)}", "display_name": name,
                "funder_award_id": award, "funder_id": f["id"], "funder_display_name": f["display_name"],
            }
            for f, award, name in chosen if award
        ]
        if era in ("grants", "grants_funders_awards"):
            record["grants"] = grants
        if era in ("grants_funders_awards", "funders_awards"):
            record["funders"] = funders
            record["awards"] = awards


def generate_records(n_works: int, seed: int, pool: Pool | None = None) -> tuple[list[dict], list[dict]]:
    """Returns (latest records, superseded older versions)."""
    gen = _Generator(pool or Pool.load(), seed)
    year_weights = [1.0 + 0.12 * i for i in range(len(YEARS))]
    latest, older = [], []
    for n in range(n_works):
        year = gen.rng.choices(YEARS, year_weights)[0]
        record = gen.work(n, year)
        latest.append(record)
        if gen.rng.random() < 0.03:
            # An older version in an earlier partition that, if it won, would change the figures.
            stale = json.loads(json.dumps(record))
            stale["updated_date"] = "2020-01-01T00:00:00.000000"
            stale["publication_year"] = 2019 if year != 2019 else 2020
            stale["language"] = "en"
            older.append(stale)
    plants.plant(latest, gen.pool)
    return latest, older
