"""The planted truth of marts.sensitivity_figures: the main figures under every definition set the dbt vars name,
counted from the generated works in plain Python (docs/definitions.md)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict

from dagster_project.demo_data.affiliations import short_id
from dagster_project.demo_data.generator import AI_CONCEPT, AI_CONCEPT_MIN_SCORE, DBT_VARS, PERIOD, STUDY, Pool
from dagster_project.study_definitions import countries_flagged

from .planted_affiliations import filled, records_by_id, text_tags
from .planted_truth import CHINA, RISK_ENTITIES_SEED, STUDY_AI_DEFINITION, STUDY_RISK_VARIANT


def europes() -> dict[str, frozenset[str]]:
    """Each Europe definition of var europe_definitions (the one in force first): its countries seed column."""
    names = [STUDY.europe_definition] + [e for e in DBT_VARS["europe_definitions"] if e != STUDY.europe_definition]
    return {e: frozenset(countries_flagged(e)) for e in names}


def concept_score(rec: dict) -> float | None:
    scores = [c.get("score") for c in rec.get("concepts") or [] if c.get("id") == AI_CONCEPT]
    scores = [s for s in scores if s is not None]
    return max(scores) if scores else None


def _subfields(topics: list[dict]) -> set[str]:
    return {short_id((t.get("subfield") or {}).get("id")) for t in topics if t}


def ai_definitions(rec: dict) -> dict[str, bool]:
    """Whether a work is an AI work under each AI definition of var ai_definitions (docs/definitions.md)."""
    listed = any(c.get("id") == AI_CONCEPT for c in rec.get("concepts") or [])
    score = concept_score(rec)
    subfields = _subfields(rec.get("topics") or [])
    topic = STUDY.ai_subfield in subfields
    rules = {
        "concept_or_topic": listed or topic,
        "concept_scored_or_topic": (score is not None and score > 0) or topic,
        "concept_assigned_or_topic": (score is not None and score >= AI_CONCEPT_MIN_SCORE) or topic,
        "concept_only": listed,
        "topic_only": topic,
        "primary_topic_only": STUDY.ai_subfield in _subfields([rec.get("primary_topic") or {}]),
        "broad": listed or topic or str(DBT_VARS["ai_broad_extra_subfield_id"]) in subfields,
    }
    names = [STUDY_AI_DEFINITION] + [a for a in DBT_VARS["ai_definitions"] if a != STUDY_AI_DEFINITION]
    unknown = [a for a in names if a not in rules]
    if unknown:
        raise ValueError(f"dbt/dbt_project.yml: ai_definitions names {', '.join(unknown)}, which the planted truth "
                         f"does not know (known: {', '.join(rules)})")
    return {a: rules[a] for a in names}


def _aspi_very_high_rors() -> set[str]:
    """ROR ids of risk-list entities ASPI rates "very high" (seeds/risk_entities.csv, column aspi_risk_level)."""
    with RISK_ENTITIES_SEED.open(newline="", encoding="utf-8") as fh:
        return {r["ror_id"] for r in csv.DictReader(fh) if r["ror_id"] and r["aspi_risk_level"].strip() == "very high"}


def risk_by_institution(pool: Pool) -> dict[str, dict[str, bool]]:
    """Per Chinese pool institution: PLA, and defence-linked under each risk-list variant. The wider variant adds
    the entities ASPI rates very high, found by the institution's own ROR id or an ancestor's (its lineage)."""
    aspi = _aspi_very_high_rors()
    ror_by_id = {i["id"]: short_id(i.get("ror")) for i in pool.china}
    out = {}
    for inst in pool.china:
        tags = set(inst["tags"]) | set(inst.get("inherited_tags") or [])
        very_high = any(ror_by_id.get(x) in aspi for x in {inst["id"], *(inst.get("lineage") or [])})
        defence = "defence_linked" in tags
        out[inst["id"]] = {"pla": "pla" in tags, "default": defence, "wider_with_aspi_very_high": defence or very_high}
    unknown = [v for v in DBT_VARS["risk_list_variants"] if v not in ("default", "wider_with_aspi_very_high")]
    if unknown:
        raise ValueError(f"dbt/dbt_project.yml: risk_list_variants names {', '.join(unknown)}, unknown to the planted truth")
    return out


def definition_set_name(europe: str, ai: str, risk: str, evidence: str | None = None, countries: str | None = None) -> str:
    """As dbt's macro: the risk evidence and country attribution named only when not the project's first ones."""
    name = f"{europe.removeprefix('europe_')}/{ai}/{risk}"
    if evidence and evidence != DBT_VARS["risk_evidences"][0]:
        name += f"/evidence={evidence}"
    if countries and countries != DBT_VARS["country_attributions"][0]:
        name += f"/countries={countries}"
    return name


def definition_sets(europes: list[str], ais: list[str], variants: list[str]) -> list[tuple[str, str, str, str, str]]:
    """(europe, ai, risk list, evidence, attribution) as sensitivity_figures names them: the full cross of the first
    three under the evidence and attribution in force, then each other evidence and attribution alone."""
    evidence, attribution = str(DBT_VARS["risk_evidence"]), str(DBT_VARS["country_attribution"])
    sets = [(e, a, r, evidence, attribution) for e in europes for a in ais for r in variants]
    sets += [(europes[0], ais[0], variants[0], ev, attribution) for ev in DBT_VARS["risk_evidences"] if ev != evidence]
    sets += [(europes[0], ais[0], variants[0], evidence, c) for c in DBT_VARS["country_attributions"] if c != attribution]
    return sets


def text_evidence(rec: dict) -> dict[str, bool]:
    """The risk flags a record gets from its affiliation strings alone (match path affiliation_text), by risk-list
    variant and for PLA: those of the entities its planted strings name (planted_affiliations)."""
    tags = text_tags(rec)
    return {"pla": "pla" in tags, "default": "defence_linked" in tags,
            "wider_with_aspi_very_high": bool(tags & {"defence_linked", "aspi_very_high"})}


def expected_sensitivity_figures(records: list[dict], pool: Pool) -> dict[str, dict[str, float | None]]:
    """marts.sensitivity_figures as `definition_set -> {metric|scope|period -> value}`, every figure counted from
    the works (as in snapshot and demo mode). `records` are the latest version of each work; records of any
    shape (real ones too) are read defensively."""
    europe_countries = europes()
    risk = risk_by_institution(pool)
    variants = [STUDY_RISK_VARIANT] + [v for v in DBT_VARS["risk_list_variants"] if v != STUDY_RISK_VARIANT]
    years = [str(y) for y in range(PERIOD[0], PERIOD[1] + 1)]
    span = f"{PERIOD[0]}-{PERIOD[1]}"
    europe_order = list(europe_countries)  # the one in force first
    ai_order = [STUDY_AI_DEFINITION] + [a for a in ai_definitions({}) if a != STUDY_AI_DEFINITION]
    sets = definition_sets(europe_order, ai_order, variants)
    counts: dict[str, Counter] = defaultdict(Counter)  # definition set -> (figure, year) -> works
    by_id = records_by_id(pool)
    for rec in records:
        year = rec.get("publication_year")
        year = int(year) if isinstance(year, float) and year.is_integer() else year  # real records: 2020.0
        if not (isinstance(year, int) and PERIOD[0] <= year <= PERIOD[1] and rec.get("language") == STUDY.language
                and not rec.get("is_retracted") and not rec.get("is_paratext")):
            continue
        authorships = [a for a in rec.get("authorships") or [] if a]
        insts = [filled(i, by_id) for a in authorships for i in a.get("institutions") or [] if i]
        by_institutions = {i.get("country_code") for i in insts}
        with_authorships = by_institutions | {c for a in authorships for c in a.get("countries") or []}
        cn_ids = {i.get("id") for i in insts if i.get("country_code") in CHINA}
        text = text_evidence(rec)
        is_ai_by = ai_definitions(rec)
        for europe, ai, variant, evidence, attribution in sets:
            if not is_ai_by[ai]:
                continue
            countries = by_institutions if attribution == "institutions" else with_authorships
            has_europe, has_cn = bool(countries & europe_countries[europe]), bool(countries & CHINA)
            with_text = evidence == "with_affiliation_text"
            c = counts[definition_set_name(europe, ai, variant, evidence, attribution)]
            c["europe", year] += has_europe
            c["cn", year] += has_cn
            if has_europe and has_cn:
                c["eu_cn", year] += 1
                c["pla", year] += any(risk.get(i, {}).get("pla") for i in cn_ids) or (with_text and text["pla"])
                c["defence", year] += any(risk.get(i, {}).get(variant) for i in cn_ids) or (with_text and text[variant])

    def share(num, den):
        return None if not den else num / den

    out = {}
    for europe, ai, variant, evidence, attribution in sets:
        name = definition_set_name(europe, ai, variant, evidence, attribution)
        c = counts[name]
        f: dict[str, float | None] = {}
        for y in years:
            n = int(y)
            f[f"eu_cn_works|EUROPE|{y}"] = c["eu_cn", n]
            f[f"europe_ai_works|EUROPE|{y}"] = c["europe", n]
            f[f"europe_share_with_cn|EUROPE|{y}"] = share(c["eu_cn", n], c["europe", n])
            f[f"cn_share_with_europe|CN|{y}"] = share(c["eu_cn", n], c["cn", n])
        total = {k: sum(c[k, int(y)] for y in years) for k in ("eu_cn", "europe", "cn", "pla", "defence")}
        f[f"eu_cn_works|EUROPE|{span}"] = total["eu_cn"]
        f[f"europe_ai_works|EUROPE|{span}"] = total["europe"]
        f[f"europe_share_with_cn|EUROPE|{span}"] = share(total["eu_cn"], total["europe"])
        f[f"cn_ai_works|CN|{span}"] = total["cn"]
        f[f"cn_share_with_europe|CN|{span}"] = share(total["eu_cn"], total["cn"])
        f[f"eu_cn_works_with_pla|EUROPE|{span}"] = total["pla"]
        f[f"eu_cn_works_defence_linked|EUROPE|{span}"] = total["defence"]
        f[f"eu_cn_share_defence_linked|EUROPE|{span}"] = share(total["defence"], total["eu_cn"])
        out[name] = f
    return out


def definition_set_in_force() -> str:
    return definition_set_name(STUDY.europe_definition, STUDY_AI_DEFINITION, STUDY_RISK_VARIANT)
