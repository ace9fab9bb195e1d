"""A deterministic synthetic OpenAlex snapshot for the offline demo, the tests and the benchmarks.

Works are synthetic; the institutions and funders they cite are real OpenAlex/ROR records (see
demo_pool/PROVENANCE.md). Proportions follow the study: most works are not Europe–China, EU–CN is
about 5-10 % of Europe's AI output and rising, the UK is on about half of EU–CN works, a few partners
are PLA or Seven Sons, and all four OpenAlex schema eras appear. Some works appear twice, in an older
and a newer partition, with the newer record changed: only the newest may count.

`generate_snapshot` writes the 2026 snapshot layout and returns the figures planted in it, computed here
in plain Python from the definitions in STUDY.md, so tests can compare the warehouse's answers to them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

POOL_DIR = Path(__file__).parent / "demo_pool"
GENERATOR_VERSION = 4
YEARS = list(range(2016, 2024))  # one year either side of the study period
PERIOD = (2017, 2022)
EUROPE = set(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB NO CH IS LI".split()
)
AI_CONCEPT = "https://openalex.org/C154945302"
TUM_ROR = "https://ror.org/02kkvpp62"
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

    @classmethod
    def load(cls) -> "Pool":
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
        return cls(dict(europe), china, other, dict(funders))

    def institutions(self) -> list[dict]:
        return [i for group in self.europe.values() for i in group] + self.china + self.other


def _public(inst: dict) -> dict:
    """An institution as it appears inside a work's authorship."""
    return {k: inst[k] for k in ("id", "display_name", "ror", "country_code", "type", "lineage")}


class _Generator:
    def __init__(self, pool: Pool, seed: int):
        self.pool = pool
        self.rng = random.Random(seed)
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
            concepts.append({"id": AI_CONCEPT, "display_name": "Artificial intelligence", "level": 1, "score": 0.5})
            topics = [AI_TOPIC]
        elif ai_roll < 0.6:
            concepts.append({"id": AI_CONCEPT, "display_name": "Artificial intelligence", "level": 1, "score": 0.4})
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
                    "institutions": [_public(i) for i in insts],
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
        return record

    def _funding(self, record: dict, era: str, kind: str, groups: list[list[dict]]) -> None:
        rng = self.rng
        chosen: list[tuple[dict, str | None, str | None]] = []  # funder, award id, award name
        if rng.random() < 0.6:
            if kind in ("eu_cn", "china", "china_other") and rng.random() < 0.8:
                chosen.append((rng.choice(self.pool.funders["CN"]), f"6{rng.randint(1000000, 9999999)}", None))
            if kind in ("eu_cn", "europe", "europe_other") and rng.random() < 0.7:
                chosen.append((rng.choice(self.pool.funders["EU"]), None, None))
            if kind == "eu_cn" and rng.random() < 0.04:
                sastind = next(f for f in self.pool.funders["CN"] if "National Defense" in f["display_name"])
                chosen.append((sastind, f"JCKY{rng.randint(2017, 2022)}{rng.randint(100, 999)}B{rng.randint(1, 99):03d}", DEFENCE_PROGRAMME))
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
    return latest, older


def write_jsonl_gz(path: Path, records: list[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as out:
        for rec in records:
            out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    tmp.replace(path)
    return len(records)


def generate_snapshot(out_dir: Path, n_works: int, seed: int, part_size: int = 50_000) -> dict:
    """Writes `out_dir/data/jsonl/{works,institutions,funders}/updated_date=.../part_NNNN.gz` and
    `out_dir/manifest.json`; returns the planted truth (also saved as `out_dir/truth.json`)."""
    out_dir = Path(out_dir)
    params = {"n_works": n_works, "seed": seed, "version": GENERATOR_VERSION, "part_size": part_size}
    truth_file = out_dir / "truth.json"
    if truth_file.exists():
        cached = json.loads(truth_file.read_text())
        if cached.get("params") == params:
            return cached
    pool = Pool.load()
    latest, older = generate_records(n_works, seed, pool)
    by_partition: dict[str, list[dict]] = defaultdict(list)
    for rec in older + latest:
        by_partition[rec["updated_date"][:10]].append(rec)
    entries = []
    data = out_dir / "data" / "jsonl"
    for date in sorted(by_partition):
        recs = by_partition[date]
        for k in range(0, len(recs), part_size):
            path = data / "works" / f"updated_date={date}" / f"part_{k // part_size:04d}.gz"
            count = write_jsonl_gz(path, recs[k : k + part_size])
            entries.append({"url": str(path.relative_to(out_dir)), "meta": {"record_count": count, "content_length": path.stat().st_size}})
    for entity, records in (
        ("institutions", [{k: v for k, v in i.items() if k not in ("role", "weight", "tags", "inherited_tags", "origin")} | {"updated_date": "2026-03-02T00:00:00"} for i in pool.institutions()]),
        ("funders", [{k: v for k, v in f.items() if k not in ("chinese_government", "origin")} | {"updated_date": "2026-03-02T00:00:00"} for f in pool.funders.get("CN", []) + pool.funders.get("EU", []) + pool.funders.get("OTHER", [])]),
    ):
        path = data / entity / "updated_date=2026-03-02" / "part_0000.gz"
        count = write_jsonl_gz(path, records)
        entries.append({"url": str(path.relative_to(out_dir)), "meta": {"record_count": count, "content_length": path.stat().st_size}})
    (out_dir / "manifest.json").write_text(json.dumps({"entries": entries}, indent=1))
    truth = {"params": params, "records_written": len(latest) + len(older), "superseded": len(older),
             "figures": expected_figures(latest, pool)}
    truth_file.write_text(json.dumps(truth, indent=1, sort_keys=True))
    return truth


# --- the planted answers -------------------------------------------------------------------------------

def _is_ai(rec: dict) -> bool:
    concepts = {c["id"] for c in rec.get("concepts") or []}
    subfields = {(t.get("subfield") or {}).get("id", "").rsplit("/", 1)[-1] for t in rec.get("topics") or []}
    return AI_CONCEPT in concepts or "1702" in subfields


def _in_scope(rec: dict) -> bool:
    return (
        PERIOD[0] <= rec["publication_year"] <= PERIOD[1]
        and rec.get("language") == "en"
        and not rec.get("is_retracted")
        and not rec.get("is_paratext")
        and _is_ai(rec)
    )


def expected_figures(latest: list[dict], pool: Pool) -> dict[str, float | None]:
    """Headline figures as `metric|scope|period -> value`, by the STUDY.md defaults."""
    tags_by_id = {}
    for inst in pool.china:
        tags_by_id[inst["id"]] = set(inst["tags"]) | set(inst.get("inherited_tags") or [])
    cn_funders = {f["id"] for f in pool.funders.get("CN", [])}
    cn_gov_funders = {f["id"] for f in pool.funders.get("CN", []) if f["chinese_government"]}
    out: dict[str, float | None] = {}
    span = f"{PERIOD[0]}-{PERIOD[1]}"
    years = [str(y) for y in range(PERIOD[0], PERIOD[1] + 1)]
    europe = Counter()
    china = Counter()
    eu_cn = Counter()
    country_ai: dict[str, Counter] = defaultdict(Counter)
    country_cn: dict[str, Counter] = defaultdict(Counter)
    links: Counter = Counter()
    pla = defence = security = dual_use = disclosed = china_funded = gov_funded = defence_prog = 0
    for rec in latest:
        if not _in_scope(rec):
            continue
        year = str(rec["publication_year"])
        insts = [i for a in rec["authorships"] for i in a["institutions"]]
        countries = {i["country_code"] for i in insts}
        eu_countries = countries & EUROPE
        has_cn = "CN" in countries
        for c in eu_countries:
            country_ai[c][year] += 1
            if has_cn:
                country_cn[c][year] += 1
        if eu_countries:
            europe[year] += 1
        if has_cn:
            china[year] += 1
        if not (eu_countries and has_cn):
            continue
        eu_cn[year] += 1
        cn_insts = {i["id"] for i in insts if i["country_code"] == "CN"}
        tags = set().union(*(tags_by_id.get(i, set()) for i in cn_insts))
        pla += "pla" in tags
        defence += "defence_linked" in tags
        security += "security_linked" in tags
        dual_use += any(t["id"] == DUAL_USE_TOPIC["id"] for t in rec.get("topics") or [])
        for de in {i["id"] for i in insts if i["country_code"] == "DE"}:
            for cn in cn_insts:
                links[(de, cn)] += 1
        funder_ids = {g["funder"] for g in rec.get("grants") or []} | {f["id"] for f in rec.get("funders") or []}
        names = [g.get("funder_display_name") or "" for g in rec.get("grants") or []] + [
            a.get("display_name") or "" for a in rec.get("awards") or []
        ]
        award_ids = [g.get("award_id") or "" for g in rec.get("grants") or []] + [
            a.get("funder_award_id") or "" for a in rec.get("awards") or []
        ]
        if funder_ids:
            disclosed += 1
            china_funded += bool(funder_ids & cn_funders)
            gov_funded += bool(funder_ids & cn_gov_funders)
            defence_prog += any(DEFENCE_PROGRAMME in n for n in names) or any(a.startswith("JCKY") for a in award_ids)

    def share(num, den):
        return None if not den else num / den

    for y in years:
        out[f"eu_cn_works|EUROPE|{y}"] = eu_cn[y]
        out[f"europe_ai_works|EUROPE|{y}"] = europe[y]
        out[f"europe_share_with_cn|EUROPE|{y}"] = share(eu_cn[y], europe[y])
        out[f"cn_ai_works|CN|{y}"] = china[y]
        out[f"cn_share_with_europe|CN|{y}"] = share(eu_cn[y], china[y])
    total_eu_cn = sum(eu_cn.values())
    out[f"eu_cn_works|EUROPE|{span}"] = total_eu_cn
    total_cn = sum(china.values())
    total_europe = sum(europe.values())
    out[f"europe_ai_works|EUROPE|{span}"] = total_europe
    out[f"europe_share_with_cn|EUROPE|{span}"] = share(total_eu_cn, total_europe)
    out[f"cn_ai_works|CN|{span}"] = total_cn
    out[f"cn_share_with_europe|CN|{span}"] = share(total_eu_cn, total_cn)
    for c in sorted(EUROPE):
        for y in years:
            out[f"country_ai_works|{c}|{y}"] = country_ai[c][y]
            out[f"country_share_with_cn|{c}|{y}"] = share(country_cn[c][y], country_ai[c][y])
        with_c = sum(country_cn[c].values())
        out[f"country_ai_works|{c}|{span}"] = sum(country_ai[c].values())
        out[f"country_eu_cn_works|{c}|{span}"] = with_c
        out[f"country_share_with_cn|{c}|{span}"] = share(with_c, sum(country_ai[c].values()))
        out[f"cn_share_with_country|{c}|{span}"] = share(with_c, total_cn)
        out[f"country_share_of_eu_cn_works|{c}|{span}"] = share(with_c, total_eu_cn)
    out[f"eu_cn_works_with_pla|EUROPE|{span}"] = pla
    out[f"eu_cn_works_defence_linked|EUROPE|{span}"] = defence
    out[f"eu_cn_share_defence_linked|EUROPE|{span}"] = share(defence, total_eu_cn)
    out[f"eu_cn_share_with_pla|EUROPE|{span}"] = share(pla, total_eu_cn)
    out[f"eu_cn_works_security_linked|EUROPE|{span}"] = security
    out[f"eu_cn_works_dual_use|EUROPE|{span}"] = dual_use
    out[f"eu_cn_works_funding_disclosed|EUROPE|{span}"] = disclosed
    out[f"share_china_funded_of_disclosed|EUROPE|{span}"] = share(china_funded, disclosed)
    out[f"share_china_gov_funded_of_disclosed|EUROPE|{span}"] = share(gov_funded, disclosed)
    out[f"eu_cn_works_defence_programme_funded|EUROPE|{span}"] = defence_prog
    top10 = sorted(links.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    tum_id = next(i["id"] for g in pool.europe.values() for i in g if i["ror"] == TUM_ROR)
    out[f"top10_links_involving_tum|DE-CN|{span}"] = sum(1 for (de, _), _ in top10 if de == tum_id)
    return out
