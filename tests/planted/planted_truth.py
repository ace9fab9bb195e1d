"""The figures planted in the demo snapshot, worked out independently in plain Python from the generated records
and the study's definitions (dbt vars and the countries seed, via `study`), never from the warehouse. Tests
compare the marts with them exactly."""

from __future__ import annotations

from collections import Counter, defaultdict

from dagster_project.demo_data.affiliations import short_id
from dagster_project.demo_data.generator import (
    AI_CONCEPT,
    DBT_VARS,
    DEFENCE_PROGRAMME,
    DUAL_USE_TOPIC,
    EUROPE,
    PERIOD,
    STUDY,
    TUM_ROR,
    Pool,
)
from dagster_project.settings import PROJECT_ROOT

from .planted_affiliations import institutions, records_by_id, text_tags

CHINA = STUDY.china
STUDY_AI_DEFINITION = str(DBT_VARS["ai_definition"])
STUDY_RISK_VARIANT = str(DBT_VARS["risk_list_variant"])
RISK_ENTITIES_SEED = PROJECT_ROOT / "seeds" / "risk_entities.csv"


def _is_ai(rec: dict) -> bool:
    concepts = {c["id"] for c in rec.get("concepts") or []}
    subfields = {(t.get("subfield") or {}).get("id", "").rsplit("/", 1)[-1] for t in rec.get("topics") or []}
    return AI_CONCEPT in concepts or STUDY.ai_subfield in subfields


def in_scope(rec: dict) -> bool:
    return (
        PERIOD[0] <= rec["publication_year"] <= PERIOD[1]
        and rec.get("language") == STUDY.language
        and not rec.get("is_retracted")
        and not rec.get("is_paratext")
        and _is_ai(rec)
    )


def expected_figures(latest: list[dict], pool: Pool) -> dict[str, float | None]:
    """Headline figures as `metric|scope|period -> value`, under the definitions in force."""
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
    pla_by_text_only = defence_by_text_only = 0
    by_id = records_by_id(pool)
    for rec in latest:
        if not in_scope(rec):
            continue
        year = str(rec["publication_year"])
        insts = institutions(rec, by_id)
        countries = {i["country_code"] for i in insts}
        eu_countries = countries & EUROPE
        has_cn = bool(countries & CHINA)
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
        cn_insts = {i["id"] for i in insts if i["country_code"] in CHINA}
        by_institution = set().union(*(tags_by_id.get(i, set()) for i in cn_insts))
        tags = by_institution | text_tags(rec)
        pla += "pla" in tags
        defence += "defence_linked" in tags
        security += "security_linked" in tags
        pla_by_text_only += "pla" in tags - by_institution
        defence_by_text_only += "defence_linked" in tags - by_institution
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
    out[f"eu_cn_works_with_pla_by_text_only|EUROPE|{span}"] = pla_by_text_only
    out[f"eu_cn_works_defence_linked_by_text_only|EUROPE|{span}"] = defence_by_text_only
    out[f"eu_cn_works_dual_use|EUROPE|{span}"] = dual_use
    out[f"eu_cn_works_funding_disclosed|EUROPE|{span}"] = disclosed
    out[f"share_china_funded_of_disclosed|EUROPE|{span}"] = share(china_funded, disclosed)
    out[f"share_china_gov_funded_of_disclosed|EUROPE|{span}"] = share(gov_funded, disclosed)
    out[f"eu_cn_works_defence_programme_funded|EUROPE|{span}"] = defence_prog
    top10 = sorted(links.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    tum_id = next(i["id"] for g in pool.europe.values() for i in g if i["ror"] == TUM_ROR)
    out[f"top10_links_involving_tum|DE-CN|{span}"] = sum(1 for (de, _), _ in top10 if de == tum_id)
    return out


def _work_facts(rec: dict, cn_funders: set[str], by_id: dict[str, dict]) -> dict:
    """What one in-scope work says about its institutions: who is on it, the risk of its Chinese side, funding."""
    insts = {i["id"]: i for i in institutions(rec, by_id)}
    europeans = {k: i for k, i in insts.items() if i["country_code"] in EUROPE}
    chinese = {k: i for k, i in insts.items() if i["country_code"] in CHINA}
    funder_ids = {g["funder"] for g in rec.get("grants") or []} | {f["id"] for f in rec.get("funders") or []}
    return {
        "year": rec["publication_year"], "europeans": europeans, "chinese": chinese,
        "china_funded": bool(funder_ids & cn_funders),
        "dual_use": any(t["id"] == DUAL_USE_TOPIC["id"] for t in rec.get("topics") or []),
    }


def expected_institution_profiles(latest: list[dict], pool: Pool) -> dict[str, dict]:
    """Per European institution on a Europe–China work (directly, as an authorship's institution), keyed by its
    short OpenAlex id: the figures of marts.institution_profiles, its Chinese partners (figures of
    marts.institution_partners) and, under `parents`, the lineage rollup of marts.agg_institution_parent_profiles."""
    tags_by_id = {short_id(i["id"]): set(i["tags"]) | set(i.get("inherited_tags") or []) for i in pool.china}
    cn_funders = {f["id"] for f in pool.funders.get("CN", [])}
    years = range(PERIOD[0], PERIOD[1] + 1)
    ai_works: Counter = Counter()
    profiles: dict[str, dict] = {}
    parents: dict[str, dict] = {}
    eu_cn_lineages: list[tuple[dict[str, set[str]], bool]] = []
    by_id = records_by_id(pool)
    for rec in latest:
        if not in_scope(rec):
            continue
        facts = _work_facts(rec, cn_funders, by_id)
        for inst_id in facts["europeans"]:
            ai_works[short_id(inst_id)] += 1
        if not facts["chinese"] or not facts["europeans"]:
            continue
        chinese = {short_id(k): v for k, v in facts["chinese"].items()}
        tags = set().union(*(tags_by_id.get(k, set()) for k in chinese)) | text_tags(rec)  # the work's, text included
        year = facts["year"]
        lineages: dict[str, set[str]] = {}  # profiled institution -> itself and its ancestors
        for inst_id, inst in facts["europeans"].items():
            key = short_id(inst_id)
            p = profiles.setdefault(key, {
                "institution_ror": short_id(inst["ror"]), "institution_name": inst["display_name"],
                "country_code": inst["country_code"], "eu_cn_works": 0, "eu_cn_works_with_pla": 0,
                "eu_cn_works_defence_linked": 0, "eu_cn_works_security_linked": 0, "china_funded_works": 0,
                "dual_use_works": 0, "years": Counter(), "partners": {}, "pla_works": [], "defence_linked_works": [],
            })
            p["eu_cn_works"] += 1
            p["eu_cn_works_with_pla"] += "pla" in tags
            p["eu_cn_works_defence_linked"] += "defence_linked" in tags
            p["eu_cn_works_security_linked"] += "security_linked" in tags
            if "pla" in tags:
                p["pla_works"].append(short_id(rec["id"]))
            if "defence_linked" in tags:
                p["defence_linked_works"].append(short_id(rec["id"]))
            p["china_funded_works"] += facts["china_funded"]
            p["dual_use_works"] += facts["dual_use"]
            p["years"][year] += 1
            for cn_key in chinese:
                partner = p["partners"].setdefault(cn_key, {"eu_cn_works": 0, "tags": sorted(tags_by_id.get(cn_key, set()))})
                partner["eu_cn_works"] += 1
            lineages[key] = {key} | {short_id(a) for a in inst.get("lineage") or []}
        eu_cn_lineages.append((lineages, "defence_linked" in tags))
    # A parent is an ancestor of a profiled institution; it counts the works of every member (itself included).
    ancestors = {a for lineages, _ in eu_cn_lineages for key, lineage in lineages.items() for a in lineage - {key}}
    for lineages, defence in eu_cn_lineages:
        for ancestor in ancestors:
            members = {key for key, lineage in lineages.items() if ancestor in lineage}
            if members:
                parent = parents.setdefault(ancestor, {"eu_cn_works": 0, "eu_cn_works_defence_linked": 0, "members": set()})
                parent["eu_cn_works"] += 1
                parent["eu_cn_works_defence_linked"] += defence
                parent["members"] |= members
    for key, p in profiles.items():
        partners = p["partners"]
        p["chinese_partners"] = len(partners)
        p["chinese_partners_defence_linked"] = sum("defence_linked" in v["tags"] for v in partners.values())
        p["chinese_partners_pla"] = sum("pla" in v["tags"] for v in partners.values())
        p["first_year"], p["last_year"] = min(p["years"]), max(p["years"])
        p["eu_cn_works_per_year"] = {str(y): p["years"][y] for y in years}  # str keys: as JSON gives them back
        del p["years"]
        p["ai_works"] = ai_works[key]
        p["share_of_ai_works_with_cn"] = p["eu_cn_works"] / ai_works[key]
    for parent in parents.values():
        parent["members"] = sorted(parent["members"])
    return {"institutions": profiles, "parents": parents}


# --- sensitivity figures: every Europe × AI × risk-list definition set the dbt vars name --------------------
