"""The dbt project's shape (no build needed): layers and names, documentation, unit tests, definitions as vars;
and the demo generator's planted figures, checked by hand on a few records."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dagster_project.demo_data import generator as demo
from tests.planted import planted_truth

ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = ROOT / "dbt"


@pytest.fixture(scope="module")
def manifest() -> dict:
    from dagster_project.resources import dbt_manifest as load

    return load()


def _models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["package_name"] == "eu_cn_ai"}


def test_models_follow_the_layer_naming(manifest):
    prefixes = {"staging": ("stg_", "base_"), "intermediate": ("int_",), "marts": ("fct_", "dim_", "agg_")}
    # Named for the analyst's question, like the figures: an institution's profile and its partners, the queue
    # of partners for the risk lists' review, what a release changed, and the works and parts behind a figure.
    figures = {"headline_figures", "sensitivity_figures", "institution_profiles", "institution_partners",
               "risk_review_candidates", "release_changes", "figure_works", "figure_parts"}
    for name, node in _models(manifest).items():
        layer = node["fqn"][1]
        assert layer in prefixes, name
        assert name.startswith(prefixes[layer]) or (layer == "marts" and name in figures), name
        assert node["schema"] == layer, name
    names = set(_models(manifest))
    assert {
        "stg_openalex__works", "stg_openalex__authorships", "stg_openalex__authorship_institutions",
        "stg_openalex__institutions", "stg_openalex__funders", "stg_openalex__work_funding", "stg_openalex__work_topics",
        "stg_openalex__work_concepts", "stg_openalex__work_counts", "int_institution_risk_tags_matched",
        "fct_eu_cn_works", "dim_institutions", "fct_work_funding", "agg_country_year", "agg_institution_links",
        "agg_funding", "agg_risk_year", "headline_figures", "sensitivity_figures",
    } <= names


def test_every_model_and_its_columns_are_described(manifest):
    missing = []
    for name, node in _models(manifest).items():
        if not node["description"].strip():
            missing.append(name)
        if not node["columns"]:
            missing.append(f"{name}: no columns documented")
        missing += [f"{name}.{c}" for c, col in node["columns"].items() if not (col.get("description") or "").strip()]
    assert not missing, missing


def test_every_mart_documents_its_dataset_label_and_definitions(manifest):
    for name, node in _models(manifest).items():
        if node["fqn"][1] == "marts":
            assert {"dataset_label", "definition_set"} <= set(node["columns"]), name


def test_every_documented_column_is_a_column_of_the_built_relation(manifest, demo_run):
    """A description of a column the model does not make is a promise the warehouse breaks."""
    import duckdb

    with duckdb.connect(str(demo_run["settings"].build_path), read_only=True) as con:
        built: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in con.execute("select schema_name, table_name, column_name from duckdb_columns()").fetchall():
            built.setdefault((schema, table), set()).add(column)
    described = {n["name"]: ((n["schema"], n["alias"]), set(n["columns"])) for n in manifest["nodes"].values()
                 if n["resource_type"] in ("model", "snapshot", "seed") and n["package_name"] == "eu_cn_ai"}
    missing = {name: sorted(columns - built.get(relation, set())) for name, (relation, columns) in described.items()
               if columns - built.get(relation, set())}
    assert not missing


def test_the_tricky_logic_has_dbt_unit_tests(manifest):
    unit_tests = {(u["model"], u["name"]) for u in manifest.get("unit_tests", {}).values()}
    models = {m for m, _ in unit_tests}
    assert {"base_openalex__works", "stg_openalex__work_funding", "int_institution_risk_tags_matched", "agg_country_year",
            "release_changes"} <= models


def test_definitions_are_documented_vars_with_the_study_defaults():
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    v = project["vars"]
    assert (v["study_start_year"], v["study_end_year"], v["study_language"]) == (2017, 2022, "en")
    assert v["europe_definition"] == "europe_eu27_uk_efta" and v["china_definition"] == "china_mainland"
    assert v["ai_definition"] == "concept_or_topic" and v["ai_concept_id"] == "C154945302" and v["ai_subfield_id"] == "1702"
    assert v["risk_list_variant"] == "default"
    assert set(v["europe_definitions"]) == {"europe_eu27_uk_efta", "europe_eu27_uk", "europe_eu27_uk_ch_no"}
    assert set(v["ai_definitions"]) == {"concept_or_topic", "concept_scored_or_topic", "concept_assigned_or_topic",
                                        "concept_only", "topic_only", "primary_topic_only", "broad"}
    assert v["ai_concept_min_score"] == 0.3
    assert set(v["risk_list_variants"]) == {"default", "wider_with_aspi_very_high"}
    assert v["top_links_institution_ror_id"] == "02kkvpp62"


# --- the planted figures, by hand ----------------------------------------------------------------------------

def _inst(iid: str, country: str) -> dict:
    return {"id": f"https://openalex.org/{iid}", "display_name": iid, "ror": None, "country_code": country,
            "type": "education", "lineage": [f"https://openalex.org/{iid}"]}


def _work(n: int, year: int, *affiliations: list[dict], ai: bool = True, language: str = "en", grants=None) -> dict:
    return {
        "id": f"https://openalex.org/W{n}", "publication_year": year, "language": language,
        "is_retracted": False, "is_paratext": False,
        "concepts": [{"id": demo.AI_CONCEPT}] if ai else [],
        "topics": [],
        "authorships": [{"institutions": insts} for insts in affiliations],
        "grants": grants,
    }


def test_expected_figures_follow_the_study_definitions():
    tum = {**_inst("I62916508", "DE"), "ror": demo.TUM_ROR}
    fr, cn_pla, cn_civil = _inst("I2", "FR"), _inst("I9", "CN"), _inst("I8", "CN")
    pool = demo.Pool(
        europe={"DE": [tum], "FR": [fr]},
        china=[{**cn_pla, "tags": ["pla", "defence_linked"]}, {**cn_civil, "tags": []}],
        other=[],
        funders={"CN": [{"id": "F1", "chinese_government": True}], "EU": [], "OTHER": []},
    )
    works = [
        _work(1, 2018, [tum, fr]),                         # Europe only, DE + FR: counts once for Europe
        _work(2, 2018, [tum], [cn_pla], grants=[{"funder": "F1", "funder_display_name": "NSFC", "award_id": "6"}]),
        _work(3, 2018, [fr, cn_civil]),                    # one author, two affiliations: still EU–CN
        _work(4, 2018, [cn_civil]),                        # China only
        _work(5, 2018, [tum], [cn_pla], ai=False),         # not AI
        _work(6, 2018, [tum], [cn_pla], language="de"),    # not English
        _work(7, 2016, [tum], [cn_pla]),                   # outside the period
    ]
    f = planted_truth.expected_figures(works, pool)
    assert f["europe_ai_works|EUROPE|2018"] == 3
    assert f["eu_cn_works|EUROPE|2018"] == 2
    assert f["europe_share_with_cn|EUROPE|2018"] == pytest.approx(2 / 3)
    assert f["cn_ai_works|CN|2018"] == 3
    assert f["cn_share_with_europe|CN|2018"] == pytest.approx(2 / 3)
    assert f["country_ai_works|DE|2018"] == 2 and f["country_share_with_cn|DE|2018"] == pytest.approx(0.5)
    assert f["country_ai_works|GB|2018"] == 0 and f["country_share_with_cn|GB|2018"] is None
    assert f["eu_cn_works|EUROPE|2017"] == 0 and f["europe_share_with_cn|EUROPE|2017"] is None
    assert f["eu_cn_works|EUROPE|2017-2022"] == 2
    assert f["country_share_of_eu_cn_works|FR|2017-2022"] == pytest.approx(0.5)
    assert f["cn_share_with_country|DE|2017-2022"] == pytest.approx(1 / 3)
    assert f["eu_cn_works_with_pla|EUROPE|2017-2022"] == 1
    assert f["eu_cn_share_defence_linked|EUROPE|2017-2022"] == pytest.approx(0.5)
    assert f["eu_cn_works_funding_disclosed|EUROPE|2017-2022"] == 1
    assert f["share_china_gov_funded_of_disclosed|EUROPE|2017-2022"] == 1.0
    assert f["top10_links_involving_tum|DE-CN|2017-2022"] == 1


def test_the_pool_holds_labs_known_only_through_their_lineage():
    pool = demo.Pool.load()
    labs = [c for c in pool.china if c.get("origin") == "synthetic_demo_lab"]
    assert len(labs) == len(demo.SYNTHETIC_LABS)
    by_id = {c["id"]: c for c in pool.china}
    for lab in labs:
        parent = by_id[lab["lineage"][0]]
        assert lab["ror"] is None and lab["tags"] == [] and set(lab["inherited_tags"]) == set(parent["tags"]) != set()


def test_only_what_enters_from_outside_carries_a_contract_for_great_expectations(manifest):
    """Each rule stated once: `meta.contract` (the Great Expectations suites) on the raw source's columns only; the
    model layers state their rules as dbt tests."""
    with_contract = [f"{node['name']}.{name}" for node in manifest["nodes"].values()
                     for name, col in node.get("columns", {}).items() if (col.get("meta") or {}).get("contract")]
    assert not with_contract, with_contract
    sources = [s for s in manifest["sources"].values() if s["source_name"] == "openalex"]
    assert any((col.get("meta") or {}).get("contract") for s in sources for col in s["columns"].values())
