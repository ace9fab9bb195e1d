"""The seed builder (scripts/seed_builder) on a small reference-data folder made here, so it runs in a clean clone:
the two source lists merged and tagged by the group rule (seeds/risk_entity_groups.csv), docs/definitions.md's
override, the PLA bodies, ROR units, funders, dual-use rules and figures; and the sentence each bad input stops it
with. (Whether the committed seeds are what the builder makes of the real reference data is a maintainer's step:
`python scripts/build_seeds.py <shared folder> --check`.)"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scripts.seed_builder.build import build_all
from scripts.seed_builder.files import curated

NUDT, BEIHANG, PAP, TSINGHUA, NSFC = "05d2yfz11", "00wk2mp56", "011gh0524", "03cve4549", "01h0zpd94"
NUDT_LAB, NUDT_CHILD = "052qsxn63", "017r4dj03"
ASPI = "https://unitracker.aspi.org.au/universities/"
FLAGS = ["eu27", "eea", "efta", "uk", "europe_eu27_uk", "europe_eu27_uk_ch_no", "europe_eu27_uk_efta", "china_mainland",
         "china_incl_hk_mo"]


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def core(group, name, ror_id="", parent="", aspi_url="", level=""):
    return {"group": group, "name_en": name, "name_zh": "", "ror_id": ror_id, "ror_name": name, "parent_ror_id": parent,
            "aspi_url": aspi_url, "aspi_risk_level": level, "aspi_risk_level_source": "aspi_page" if level else "",
            "notes": ""}


def aspi(group, name, slug, ror_id="", level=""):
    return {"aspi_name_en": name, "aspi_name_zh": "", "aspi_categories": "", "group": group, "supervising_agencies": "",
            "aliases": "", "topics": "", "aspi_url": ASPI + slug, "ror_id": ror_id, "ror_name": name,
            "ror_match": "exact_name_or_alias", "aspi_risk_level": level,
            "aspi_risk_level_source": "aspi_page" if level else ""}


def ror(ror_id, name, city="Beijing", country="CN"):
    return {"ror_id": ror_id, "name": name, "name_zh": "", "other_labels": "", "aliases": "", "acronyms": "",
            "status": "active", "country_code": country, "city": city, "predecessor_ids": ""}


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    ref = tmp_path / "shared" / "reference-data"
    ref.mkdir(parents=True)
    europe = {"eu27", "eea", "europe_eu27_uk", "europe_eu27_uk_ch_no", "europe_eu27_uk_efta"}
    write(ref / "country_groups.csv", [
        {"iso2": iso2, "iso3": iso3, "name": iso3, "eu_code": iso2, **{f: int(f in flags) for f in FLAGS}, "notes": ""}
        for iso2, iso3, flags in [("DE", "DEU", europe), ("CN", "CHN", {"china_mainland", "china_incl_hk_mo"}),
                                  ("HK", "HKG", {"china_incl_hk_mo"})]])
    write(ref / "seven_sons_and_pla_core.csv", [
        core("pla_cmc_university", "National University of Defense Technology", NUDT, aspi_url=ASPI + "nudt",
             level="very high"),
        core("state_defence_agency", "People's Armed Police", PAP),
        core("pla_child", "A NUDT college", NUDT_CHILD, parent=NUDT),
    ])
    write(ref / "aspi_china_defence_universities_2019.csv", [
        aspi("pla", "National University of Defense Technology", "nudt", NUDT, "very high"),
        aspi("seven_sons", "Beihang University", "beihang", BEIHANG, "very high"),
        aspi("civilian_university", "Tsinghua University", "tsinghua", TSINGHUA, "high"),
    ])
    bodies = curated("pla_bodies")
    write(ref / "ror_cn_hk_mo_tw_subset.csv", [
        ror(NUDT, "National University of Defense Technology", "Changsha"), ror(BEIHANG, "Beihang University"),
        ror(NUDT_LAB, "State Key Laboratory of Automatic Target Recognition"), ror(TSINGHUA, "Tsinghua University"),
        ror("02bn97g32", "National Defense Medical Center", "Taipei", "TW"),
        *[ror(b["ror_id"], f"PLA body {b['ror_id']}") for b in bodies],
    ])
    write(ref / "ror_cn_hk_mo_tw_subset_relationships.csv", [
        {"ror_id": NUDT, "relationship_type": "child", "related_ror_id": NUDT_LAB,
         "related_label": "State Key Laboratory of Automatic Target Recognition"}])
    write(ref / "chinese_funders.csv", [
        {"ror_id": f"https://ror.org/{NSFC}", "name": "National Natural Science Foundation of China", "name_zh": "",
         "acronyms": "NSFC", "funder_category": "national_science_foundation", "government_level": "central",
         "chinese_government": "yes", "defence_related": "no", "fundref_preferred": "501100001809",
         "fundref_all": "501100001809|100007834", "ror_records_release": "v2.5", "notes": ""}])
    write(ref / "funding_programme_name_variants.csv", [
        {"programme_key": "nsfc", "text": "NSFC", "lang": "en", "match_type": "acronym", "civil_or_defence": "civil",
         "notes": ""}])
    write(ref / "merics_reference_numbers.csv", [
        {"metric_id": r["metric_id"], "metric": "m", "value": "0.5", "unit": "share", "period": "", "geography": "",
         "data_source": "", "status": "", "source": "MERICS", "notes": ""} for r in curated("reference_figure_map")])
    samples = tmp_path / "shared" / "openalex-samples"
    samples.mkdir()
    topics = [{"id": f"https://openalex.org/{r['match_value']}", "display_name": r["match_display_name"]}
              for r in curated("dual_use_rules") if r["match_type"] == "topic_id"]
    (samples / "works.jsonl").write_text(json.dumps({"id": "https://openalex.org/W1", "topics": topics}) + "\n",
                                         encoding="utf-8")
    return tmp_path / "shared"


def seed(out: Path, name: str) -> list[dict[str, str]]:
    with (out / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_builder_merges_the_lists_and_tags_every_entity_by_its_group(shared, tmp_path):
    out = tmp_path / "seeds"
    counts = build_all(shared, out)
    assert counts["risk_entities"] == 4 + len(curated("pla_bodies"))
    entities = {r["ror_id"]: r for r in seed(out, "risk_entities")}
    nudt = entities[NUDT]
    assert (nudt["entity_group"], nudt["tags"], nudt["lists_disagree"]) == (
        "pla_cmc_university", "pla|defence_linked|aspi_very_high", "false")
    assert nudt["source_lists"] == "seven_sons_and_pla_core|aspi_china_defence_universities_2019"
    pap = entities[PAP]
    assert (pap["entity_group"], pap["tags"], pap["entity_group_basis"]) == (
        "peoples_armed_police", "security_linked", "study_md_override")
    assert pap["lists_disagree"] == "true"
    assert (entities[BEIHANG]["entity_group"], entities[BEIHANG]["entity_group_basis"]) == ("seven_sons", "aspi_group")
    assert entities[TSINGHUA]["tags"] == ""
    for body in curated("pla_bodies"):
        assert entities[body["ror_id"]]["tags"].startswith("pla|defence_linked"), body["ror_id"]
    # risk_entities come in the group rule's order
    order = [r["entity_group"] for r in seed(Path(__file__).parent.parent / "seeds", "risk_entity_groups")]
    groups = [r["entity_group"] for r in seed(out, "risk_entities")]
    assert groups == sorted(groups, key=order.index)


def test_units_hang_under_their_entity_and_the_other_seeds_are_written(shared, tmp_path):
    out = tmp_path / "seeds"
    build_all(shared, out)
    units = {u["unit_ror_id"]: u for u in seed(out, "risk_entity_units")}
    assert set(units) == {NUDT_LAB, NUDT_CHILD}
    assert (units[NUDT_LAB]["parent_ror_id"], units[NUDT_LAB]["tags"]) == (NUDT, "pla|defence_linked|aspi_very_high")
    assert units[NUDT_CHILD]["relationship_source"] == "seven_sons_and_pla_core"
    funders = seed(out, "chinese_funders")
    assert [(f["ror_id"], f["is_chinese_government"], f["fundref_count"]) for f in funders] == [(NSFC, "true", "2")]
    assert all(r["verified_in"] == "openalex-samples/works.jsonl"
               for r in seed(out, "dual_use_topics") if r["match_type"] == "topic_id")
    mapped = [r for r in seed(out, "reference_figures") if r["warehouse_metric"]]
    assert mapped
    assert all(r["value_numeric"] == "0.5" for r in mapped)
    assert {r["iso2"]: r["is_hk_mo_tw"] for r in seed(out, "countries")} == {"DE": "0", "CN": "0", "HK": "1"}
    assert {r["region_code"] for r in seed(out, "china_places")} >= {"CN", "HK", "MO", "TW"}
    assert "national university of defense technology" in {r["name_normalised"] for r in seed(out, "risk_entity_names")}


def test_a_bad_ror_id_or_an_unknown_group_stops_the_build_with_the_value_named(shared, tmp_path):
    core_file = shared / "reference-data" / "seven_sons_and_pla_core.csv"
    rows = list(csv.DictReader(core_file.open(encoding="utf-8")))
    write(core_file, [*rows, core("seven_sons", "Typo University", "05d2yfz12")])
    with pytest.raises(ValueError, match="not a well-formed ROR id .*'05d2yfz12'"):
        build_all(shared, tmp_path / "seeds")
    write(core_file, [*rows, core("secret_police", "Unknown Body")])
    with pytest.raises(ValueError, match="unmapped group 'secret_police'"):
        build_all(shared, tmp_path / "seeds")
