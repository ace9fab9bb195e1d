"""The reference seeds: their contract with the models, the study's rules, and a real `dbt build` of the seeds
and their tests (property-file tests and dbt/tests/reference) against a throwaway DuckDB file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from dagster_project.lib.ror_id import normalise_ror_id
from dagster_project.study_definitions import risk_entity_groups
from scripts.seed_builder import names as seed_names
from scripts.seed_builder.files import normalise_ror

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DBT_DIR = ROOT / "dbt"

SEVEN_SONS = {
    "00wk2mp56": "Beihang University",
    "01skt4w74": "Beijing Institute of Technology",
    "01yqg2h08": "Harbin Institute of Technology",
    "03x80pn82": "Harbin Engineering University",
    "01y0j0j86": "Northwestern Polytechnical University",
    "01scyh794": "Nanjing University of Aeronautics and Astronautics",
    "00xp9wg62": "Nanjing University of Science and Technology",
}
NUDT = "05d2yfz11"
TAG_ORDER = ["pla", "defence_linked", "security_linked", "aspi_very_high"]

# The columns the models are written against (the seeds may add more).
CONTRACT = {
    "risk_entity_groups": ["entity_group", "is_pla", "is_defence_linked", "is_security_linked"],
    "countries": ["iso2", "iso3", "name", "eu_code", "eu27", "eea", "efta", "uk", "europe_eu27_uk",
                  "europe_eu27_uk_ch_no", "europe_eu27_uk_efta", "china_mainland", "china_incl_hk_mo", "notes",
                  "is_hk_mo_tw", "reported_separately_note"],
    "risk_entities": ["entity_id", "ror_id", "name_en", "name_zh", "entity_group", "aspi_risk_level",
                      "aspi_risk_level_source", "is_pla", "is_defence_linked", "is_security_linked",
                      "is_aspi_very_high", "tags", "source_lists", "source_url", "as_of_date", "lists_disagree",
                      "disagreement_note", "ror_match", "aspi_url"],
    "risk_entity_units": ["unit_ror_id", "unit_name", "parent_ror_id", "parent_entity_id", "relationship_source"],
    "chinese_funders": ["ror_id", "name", "name_zh", "acronyms", "funder_category", "government_level",
                        "is_chinese_government", "is_defence_related", "fundref_preferred", "fundref_all", "notes",
                        "ror_records_release"],
    "chinese_funder_fundref_ids": ["fundref_id", "ror_id", "is_preferred"],
    "funding_programmes": ["programme_key", "text", "lang", "match_type", "civil_or_defence", "notes"],
    "dual_use_topics": ["dual_use_area", "match_type", "match_value", "note"],
    "reference_figures": ["metric_id", "metric", "value", "unit", "period", "geography", "data_source", "status",
                          "source", "notes", "warehouse_metric", "warehouse_scope", "warehouse_period"],
    # the affiliation-text matcher's inputs
    "risk_entity_names": ["entity_id", "unit_ror_id", "name", "name_normalised", "script", "name_kind", "token_count",
                          "is_ambiguous", "source"],
    "risk_name_collisions": ["name_normalised", "what_it_names", "country_code", "why", "source"],
    "china_places": ["name_normalised", "script", "kind", "region_code", "source"],
}


def read(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("seed", sorted(CONTRACT))
def test_seed_keeps_the_columns_the_models_use(seed):
    with (SEEDS / f"{seed}.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    missing = [c for c in CONTRACT[seed] if c not in header]
    assert not missing, f"{seed}.csv lost {missing}"
    assert len(header) == len(set(header))
    assert read(seed), f"{seed}.csv is empty"


def test_every_seed_has_a_documented_property_entry():
    properties = (SEEDS / "_reference__seeds.yml").read_text(encoding="utf-8")
    for seed in CONTRACT:
        assert f"- name: {seed}\n" in properties, seed
        for column in read(seed)[0]:
            assert f"- name: {column}\n" in properties, f"{seed}.{column} has no description"


def test_seven_sons_and_nudt_are_risk_entities_with_their_ror():
    by_ror = {r["ror_id"]: r for r in read("risk_entities") if r["ror_id"]}
    for ror_id, name in SEVEN_SONS.items():
        assert by_ror[ror_id]["name_en"] == name
        assert by_ror[ror_id]["entity_group"] == "seven_sons"
        assert by_ror[ror_id]["is_defence_linked"] == "true"
    assert {r for r, e in by_ror.items() if e["entity_group"] == "seven_sons"} == set(SEVEN_SONS)
    assert by_ror["00wk2mp56"]["name_en"] == "Beihang University"
    nudt = by_ror[NUDT]
    assert nudt["name_en"] == "National University of Defense Technology"
    assert (nudt["entity_group"], nudt["is_pla"], nudt["is_defence_linked"]) == ("pla_cmc_university", "true", "true")


def test_the_group_rule_tags_the_pla_defence_and_security_groups_as_docs_definitions_says():
    groups = {r["entity_group"]: r for r in read("risk_entity_groups")}
    tagged = {tag: {g for g, r in groups.items() if r[f"is_{tag}"] == "true"} for tag in TAG_ORDER[:3]}
    assert tagged["pla"] == {g for g in groups if g.startswith("pla_")}
    assert tagged["pla"] < tagged["defence_linked"]
    assert tagged["defence_linked"] - tagged["pla"] == {"seven_sons", "seven_sons_unit", "nuclear_weapons_program",
                                                        "state_defence_agency", "defence_industry_conglomerate"}
    assert tagged["security_linked"] == {"public_state_security", "peoples_armed_police"}
    assert not tagged["security_linked"] & tagged["defence_linked"]
    assert groups["civilian_university"]["is_defence_linked"] == "false"


def test_python_reads_the_group_rule_from_its_seed_and_names_a_bad_line(tmp_path):
    groups = risk_entity_groups()
    assert list(groups) == [r["entity_group"] for r in read("risk_entity_groups")]
    assert groups["pla_medical"] == {"is_pla": True, "is_defence_linked": True, "is_security_linked": False}
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "risk_entity_groups.csv").write_text("entity_group,is_pla\npla_x,yes\n", encoding="utf-8")
    (tmp_path / "dbt_project.yml").write_text("seed-paths: [seeds]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: expected an entity_group and true/false flags"):
        risk_entity_groups(tmp_path / "dbt_project.yml")


def test_tags_follow_the_group_rule():
    groups = {r["entity_group"]: r for r in read("risk_entity_groups")}
    for row in read("risk_entities"):
        group = groups[row["entity_group"]]
        flags = {
            **{tag: group[f"is_{tag}"] == "true" for tag in TAG_ORDER[:3]},
            "aspi_very_high": row["aspi_risk_level"] == "very high",
        }
        for tag, expected in flags.items():
            assert row[f"is_{tag}"] == ("true" if expected else "false"), (row["entity_id"], tag)
        assert row["tags"] == "|".join(t for t in TAG_ORDER if flags[t]), row["entity_id"]


def test_peoples_armed_police_is_security_linked_and_the_disagreement_is_recorded():
    pap = next(r for r in read("risk_entities") if r["ror_id"] == "011gh0524")
    assert pap["entity_group"] == "peoples_armed_police"
    assert (pap["is_security_linked"], pap["is_defence_linked"], pap["is_pla"]) == ("true", "false", "false")
    assert pap["lists_disagree"] == "true"
    assert "state_defence_agency" in pap["disagreement_note"]
    assert pap["core_group"] == "state_defence_agency"


def test_every_ror_id_in_the_seeds_follows_the_ror_rule():
    columns = {
        "risk_entities": ["ror_id"], "risk_entity_units": ["unit_ror_id", "parent_ror_id", "direct_parent_ror_id"],
        "chinese_funders": ["ror_id"], "chinese_funder_fundref_ids": ["ror_id"],
    }
    for seed, names in columns.items():
        for row in read(seed):
            for name in names:
                value = row[name]
                if value:
                    assert normalise_ror_id(value) == value, (seed, name, value)
    text = "".join((SEEDS / f"{seed}.csv").read_text(encoding="utf-8") for seed in CONTRACT)
    assert "ror.org/https://" not in text


def test_the_builder_reads_ror_ids_by_the_one_rule_and_stops_on_any_other_text():
    """The seed builder's reader is the project's ROR-id rule (tests/fixtures/ror_id_cases.csv), except that an
    empty cell stays empty and text that holds no ROR id stops the build with the text named."""
    with (ROOT / "tests" / "fixtures" / "ror_id_cases.csv").open(newline="", encoding="utf-8") as handle:
        cases = list(csv.DictReader(handle))
    for case in cases:
        if case["expected"] or not case["input"].strip():
            assert normalise_ror(case["input"]) == case["expected"], case["why"]
        else:
            with pytest.raises(ValueError, match="not a well-formed ROR id"):
                normalise_ror(case["input"])


def test_units_hang_under_risk_entities_and_inherit_their_tags():
    entities = {r["ror_id"]: r for r in read("risk_entities") if r["ror_id"]}
    units = read("risk_entity_units")
    assert len({u["unit_ror_id"] for u in units}) == len(units)
    for unit in units:
        parent = entities[unit["parent_ror_id"]]
        assert unit["unit_ror_id"] not in entities
        assert unit["parent_entity_id"] == parent["entity_id"]
        assert unit["tags"] == parent["tags"]
    by_unit = {u["unit_ror_id"]: u for u in units}
    # NUDT's State Key Laboratory of Automatic Target Recognition, and a Beihang lab, from both sources
    assert by_unit["052qsxn63"]["parent_ror_id"] == NUDT
    assert "pla" in by_unit["052qsxn63"]["tags"]
    assert by_unit["017r4dj03"]["unit_entity_group"] == "seven_sons_unit"
    assert set(by_unit["017r4dj03"]["relationship_source"].split("|")) == {
        "ror_cn_hk_mo_tw_subset_relationships", "seven_sons_and_pla_core"}


def test_funders_join_by_ror_and_by_crossref_id():
    funders = {r["ror_id"]: r for r in read("chinese_funders")}
    ids = read("chinese_funder_fundref_ids")
    assert len({r["fundref_id"] for r in ids}) == len(ids)
    nsfc = [r for r in ids if r["ror_id"] == "01h0zpd94" and r["is_preferred"] == "true"]
    assert [r["fundref_id"] for r in nsfc] == ["501100001809"]
    assert funders["01h0zpd94"]["is_chinese_government"] == "true"
    assert funders["0098hst83"]["is_chinese_government"] == "false"  # CETC is a state-owned enterprise
    assert {r["fundref_id"] for r in ids} == {f for r in funders.values() for f in r["fundref_all"].split("|")}


def ilike(value: str, pattern: str) -> bool:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE | re.DOTALL) is not None


def test_dual_use_rules_cover_the_merics_areas_and_the_demo_topic():
    rules = read("dual_use_topics")
    assert {r["dual_use_area"] for r in rules} == {
        "target_tracking", "cybersecurity", "biometric_recognition", "face_anti_spoofing", "missile_guidance",
        "surveillance"}
    assert {r["match_type"] for r in rules} <= {"topic_id", "keyword_id", "name_pattern"}
    demo_topic = "Target Tracking and Data Fusion in Sensor Networks"
    assert any(r["match_type"] == "name_pattern" and r["dual_use_area"] == "target_tracking"
               and ilike(demo_topic, r["match_value"]) for r in rules)
    assert any(r["match_type"] == "topic_id" and r["match_value"] == "T10711" for r in rules)
    # patterns chosen to avoid known false positives
    for harmless in ["Tracking (education)", "Cybernetics", "Data-Driven Disease Surveillance", "Axon Guidance"]:
        assert not any(r["match_type"] == "name_pattern" and ilike(harmless, r["match_value"]) for r in rules), harmless


def test_reference_figures_map_the_headline_metrics_once():
    figures = read("reference_figures")
    mapped = [(r["warehouse_metric"], r["warehouse_scope"], r["warehouse_period"]) for r in figures
              if r["warehouse_metric"]]
    assert len(mapped) == len(set(mapped))
    by_key = {(r["warehouse_metric"], r["warehouse_scope"], r["warehouse_period"]): r["value"] for r in figures}
    assert by_key[("eu_cn_works", "EUROPE", "2017-2022")] == "37000"
    assert by_key[("eu_cn_works_defence_linked", "EUROPE", "2017-2022")] == "16386"
    assert by_key[("eu_cn_works_with_pla", "EUROPE", "2017-2022")] == "87"
    assert by_key[("country_share_of_eu_cn_works", "GB", "2017-2022")] == "0.5"


def test_countries_report_hk_mo_tw_separately():
    countries = {r["iso2"]: r for r in read("countries")}
    assert {c for c, r in countries.items() if r["is_hk_mo_tw"] == "1"} == {"HK", "MO", "TW"}
    assert {c for c, r in countries.items() if r["china_mainland"] == "1"} == {"CN"}
    assert sum(r["europe_eu27_uk_efta"] == "1" for r in countries.values()) == 32


def test_the_first_run_loads_every_seed_and_each_seed_has_one_check_summarising_all_its_dbt_tests(demo_run):
    """The session's run on a new warehouse loads every seed and runs every test on the seeds alone (property-file
    tests and dbt/tests/reference): each seed shows one check, `dbt_tests`, and together they count every such test
    of the project."""
    from dagster_project.assets.dbt_fingerprints import tests_seeds_only
    from dagster_project.definitions import defs
    from dagster_project.resources import dbt_manifest

    manifest = dbt_manifest()
    seed_tests = [uid for uid in manifest["nodes"] if tests_seeds_only(manifest, uid)]
    singular = {manifest["nodes"][uid]["name"] for uid in seed_tests}
    assert {p.stem for p in (DBT_DIR / "tests" / "reference").glob("*.sql")} <= singular
    assert len(seed_tests) >= 100

    result = demo_run["result"]
    seeds = {k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "reference"}
    assert {k.path[-1] for k in seeds} >= set(CONTRACT)
    assert {e.asset_key for e in result.get_asset_materialization_events()} >= seeds
    checks = {(c.asset_key, c.check_name): c for c in result.get_asset_check_evaluations() if c.asset_key in seeds}
    assert set(checks) == {(k, "dbt_tests") for k in seeds}
    for (key, _), check in checks.items():
        assert check.passed, key
        assert check.metadata["dbt_tests_failed"].value == "none", key
        assert check.metadata["dbt_tests_passed"].value >= 1, key
    assert sum(c.metadata["dbt_tests_passed"].value for c in checks.values()) == len(seed_tests)

    import duckdb

    with duckdb.connect(str(demo_run["settings"].build_path), read_only=True) as con:
        types = dict(con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'reference' and table_name = 'risk_entities'").fetchall())
        assert (types["is_pla"], types["ror_id"], types["as_of_date"]) == ("BOOLEAN", "VARCHAR", "DATE")
        period_type = con.execute(
            "select data_type from information_schema.columns where table_schema = 'reference' "
            "and table_name = 'reference_figures' and column_name = 'warehouse_period'").fetchone()[0]
        assert period_type == "VARCHAR"
        assert con.execute("select count(*) from reference.risk_entities where is_defence_linked").fetchone()[0] > 50


def test_names_normalise_as_the_matcher_reads_affiliations():
    normalise = seed_names.normalise_name
    assert normalise("People's Liberation Army") == "people s liberation army"
    assert normalise("Xi’an  Flying College,") == "xi an flying college"
    assert normalise("Ürümqi") == "urumqi"
    assert normalise("阳泉煤业（集团）有限责任公司 总医院") == "阳泉煤业集团有限责任公司总医院"
    assert normalise("第九〇〇医院") == "第九〇〇医院"  # 〇 is an ideograph, not punctuation
    assert normalise("Hospital 301 解放军") == "hospital 301 解放军"


def test_names_normalise_the_same_in_python_and_duckdb():
    """The builder's normalisation and its SQL twin agree, also on text no seed holds yet (the matcher applies the
    SQL to raw affiliation strings)."""
    import duckdb

    names = seed_names
    hostile = ["中 国 人 民 解 放 军 总 医 院", "Xi’an — “PLA” (No.988)", "Ｆｕｌｌ－ｗｉｄｔｈ（集团）", "Zhōngguó  Rénmín",
               "ß ø ł İstanbul", "第九〇〇医院, 北京\t100039", "", "a\u00a0b", "北京大学 Peking University 北大"]
    with duckdb.connect() as con:
        for text in hostile:
            assert con.execute(f"select {names.normalise_sql('?')}", [text]).fetchone()[0] == names.normalise_name(text), text


def test_acronyms_are_never_names_and_generic_names_are_dropped():
    names = seed_names
    for acronym in ["NUDT", "BUAA", "Beida", "301", "PLA UST", "A/SEU", "PLAGHHN", "北大", "四医大"]:
        assert names.is_acronym(acronym, names.normalise_name(acronym)), acronym
    for name in ["Norinco", "Army Medical University", "PLA General Hospital", "清华大学"]:
        assert not names.is_acronym(name, names.normalise_name(name)), name
    for generic in ["University", "People's Hospital", "Southwest Hospital", "Ninth Academy", "901 Institute", "警察大学"]:
        assert names.is_generic(names.normalise_name(generic)), generic
    for specific in ["Army Medical University", "Second Military Medical University", "Xinqiao Hospital"]:
        assert not names.is_generic(names.normalise_name(specific)), specific
    rows = read("risk_entity_names")
    assert all(r["name_kind"] == "acronym" for r in rows if r["name_normalised"] in {"nudt", "plagh", "buaa"})
    assert not {r["name_normalised"] for r in rows} & {"university", "hospital", "academy", "southwest hospital"}


def test_pla_hospitals_added_from_ror_are_pla_entities_with_their_source():
    entities = {r["ror_id"]: r for r in read("risk_entities") if r["ror_id"]}
    for ror_id in ["04gw3ra78", "030ev1m28", "04kmpyd03", "02pqjgd54", "036dyz052", "02bjs0p66", "02jn36537",
                   "02d217z27"]:
        body = entities[ror_id]
        assert (body["entity_group"], body["tags"]) == ("pla_medical", "pla|defence_linked"), ror_id
        assert (body["source_url"], body["source_lists"]) == (f"https://ror.org/{ror_id}", "ror_cn_hk_mo_tw_subset"), ror_id
        assert body["notes"], ror_id
        assert body["as_of_date"], ror_id
    assert entities["04gw3ra78"]["entity_id"] == "chinese_pla_general_hospital"
    units = {u["unit_ror_id"]: u for u in read("risk_entity_units")}
    # the record a PLA hospital replaced hangs under it, so OpenAlex institutions still carrying it are matched
    assert (units["03xbe6k03"]["parent_ror_id"], units["03xbe6k03"]["unit_link"]) == ("030ev1m28", "predecessor")
    assert units["00s577731"]["parent_entity_id"] == "chinese_pla_general_hospital"


def mentions(text: str, name: str) -> bool:
    return name in text if re.search(r"[^a-z0-9 ]", name) else f" {name} " in f" {text} "


def reference_match(affiliation: str) -> set[str]:
    """The seeds' contract with the text matcher, as a few lines of Python: a string in mainland China (a CN place,
    no HK/MO/TW place), collisions masked, acronyms and ambiguous names skipped, the longest name wins."""
    normalise = seed_names.normalise_name
    text = normalise(affiliation)
    places = read("china_places")
    if not any(mentions(text, p["name_normalised"]) for p in places if p["region_code"] == "CN") or any(
            mentions(text, p["name_normalised"]) for p in places if p["region_code"] != "CN"):
        return set()
    for collision in sorted({c["name_normalised"] for c in read("risk_name_collisions")}, key=len, reverse=True):
        if mentions(text, collision):
            text = f" {text} ".replace(f" {collision} ", " # ").replace(collision, "#").strip()
    found = [(r["name_normalised"], r["entity_id"]) for r in read("risk_entity_names")
             if r["name_kind"] != "acronym" and r["is_ambiguous"] == "false" and mentions(text, r["name_normalised"])]
    return {entity for name, entity in found if not any(name != longer and mentions(longer, name) for longer, _ in found)}


@pytest.mark.parametrize(("affiliation", "entities"), [
    # real raw affiliation strings of the stored OpenAlex samples
    ("Department of Pathology and Hepatology, The Fifth Medical Center of PLA General Hospital, National Clinical "
     "Research Center for Infectious Diseases, Beijing 100039, China", {"chinese_pla_general_hospital"}),
    ("Department of Etiology,School of Basic Medicine,Fourth Military Medical University,Xi'an 710033,China",
     {"air_force_medical_university"}),
    ("Department of Radiology, The First Affiliated Hospital (Xinan Hospital), The Third Military Medical University, "
     "Chongqing, China", {"army_medical_university"}),
    ("Department of Neurosurgery, Tangdu Hospital, Fourth Military Medical University, Xi'an, Shaanxi Province, China",
     {"air_force_medical_university"}),
    # the Central Theater Command's hospital as papers print it: longer than "People's Liberation Army General Hospital"
    ("Central Theater, People's Liberation Army General Hospital, Wuhan, China", {"general_hospital_of_central_theater_command"}),
    ("United States Military Malaria Vaccine Program, Walter Reed Army Institute of Research, Silver Spring, "
     "Maryland, United States of America", set()),
    ("Naval Medical Research Center , Bethesda, MD, USA", set()),
    # look-alikes the collisions and places keep out
    ("Northeastern University, Boston, MA, USA; visiting Tsinghua, Beijing, China", set()),
    ("Instituto de Ciencias Matemáticas, CSIC, Madrid, Spain", set()),
    ("College of Computer Science, Beijing University of Technology, Beijing, China", set()),
    ("Department of Physics, Soochow University, Taipei, Taiwan", set()),
    ("Tri-Service General Hospital, National Defense Medical Center, Taipei, Taiwan, Republic of China", set()),
    ("College of Computer Science, Harbin Engineering University, Harbin 150001, China",
     {"harbin_engineering_university"}),
    ("中国人民解放军总医院第五医学中心, 北京 100039", {"chinese_pla_general_hospital"}),
])
def test_the_name_seeds_name_pla_bodies_and_never_a_look_alike(affiliation, entities):
    assert reference_match(affiliation) == entities
