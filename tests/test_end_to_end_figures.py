"""End to end on a generated OpenAlex snapshot: the warehouse's headline figures equal the figures planted in it.

The demo generator writes a snapshot in OpenAlex's 2026 layout (every schema era, superseded versions of some
works, real institution and funder records, PLA / Seven Sons partners and labs known only through `lineage`)
and computes, in plain Python from the docs/definitions.md definitions, the figures it planted (`expected_figures`). The
pipeline reads it (the demo source: the session's full_refresh run, shared with the other read-only tests), and
every row of marts.headline_figures must equal the planted value. So must every row of marts.sensitivity_figures, for every
Europe × AI × risk-list definition set the dbt vars name (`expected_sensitivity_figures`).
"""

from __future__ import annotations

import json
import math

import duckdb
import pytest
import yaml

from dagster_project.demo_data import generator as demo
from dagster_project.demo_data import plants
from dagster_project.settings import PROJECT_ROOT
from tests.conftest import DEMO_SEED_FOR_TESTS, DEMO_WORKS_FOR_TESTS
from tests.planted import planted_sensitivity, planted_truth

N_WORKS = DEMO_WORKS_FOR_TESTS
SEED = DEMO_SEED_FOR_TESTS
YEARS = [str(y) for y in range(demo.PERIOD[0], demo.PERIOD[1] + 1)]
SPAN = f"{demo.PERIOD[0]}-{demo.PERIOD[1]}"
_VARS = yaml.safe_load((PROJECT_ROOT / "dbt" / "dbt_project.yml").read_text())["vars"]
# Every Europe × AI × risk-list definition named in the dbt vars, and each other risk evidence and country
# attribution alone.
N_DEFINITION_SETS = (len(_VARS["europe_definitions"]) * len(_VARS["ai_definitions"]) * len(_VARS["risk_list_variants"])
                     + len(_VARS["risk_evidences"]) - 1 + len(_VARS["country_attributions"]) - 1)

# docs/definitions.md's table of headline figures: metric -> (scopes, periods). "countries" = every European country.
STUDY_METRICS = {
    "eu_cn_works": (["EUROPE"], YEARS + [SPAN]),
    "europe_ai_works": (["EUROPE"], YEARS),
    "europe_share_with_cn": (["EUROPE"], YEARS),
    "cn_ai_works": (["CN"], YEARS),
    "cn_share_with_europe": (["CN"], YEARS),
    "country_ai_works": ("countries", YEARS),
    "country_share_with_cn": ("countries", YEARS),
    "cn_share_with_country": ("countries", [SPAN]),
    "country_share_of_eu_cn_works": ("countries", [SPAN]),
    "eu_cn_works_with_pla": (["EUROPE"], [SPAN]),
    "eu_cn_works_defence_linked": (["EUROPE"], [SPAN]),
    "eu_cn_share_defence_linked": (["EUROPE"], [SPAN]),
    "eu_cn_works_funding_disclosed": (["EUROPE"], [SPAN]),
    "share_china_funded_of_disclosed": (["EUROPE"], [SPAN]),
    "share_china_gov_funded_of_disclosed": (["EUROPE"], [SPAN]),
    "eu_cn_works_defence_programme_funded": (["EUROPE"], [SPAN]),
    "top10_links_involving_tum": (["DE-CN"], [SPAN]),
}


@pytest.fixture(scope="module")
def snapshot_run(demo_run):
    """The session's demo run (a generated snapshot in OpenAlex's layout, through the full_refresh job) and the
    truth the generator planted in it (saved beside the snapshot)."""
    settings = demo_run["settings"]
    truth = json.loads((settings.raw_dir / "demo" / "snapshot" / "truth.json").read_text())
    assert truth["params"]["n_works"] == N_WORKS and truth["params"]["seed"] == SEED
    con = duckdb.connect(str(settings.warehouse_path), read_only=True) if demo_run["result"].success else None
    yield {"result": demo_run["result"], "truth": truth, "settings": settings, "con": con}
    if con is not None:
        con.close()


@pytest.fixture(scope="module")
def con(snapshot_run):
    assert snapshot_run["result"].success, "the full_refresh run on the demo snapshot failed"
    return snapshot_run["con"]


def _headline(con) -> dict[str, float | None]:
    rows = con.execute("select metric, scope, period, value from marts.headline_figures").fetchall()
    return {f"{m}|{s}|{p}": v for m, s, p, v in rows}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_run_succeeds_with_every_check_passing(snapshot_run):
    result = snapshot_run["result"]
    assert result.success
    checks = result.get_asset_check_evaluations()
    failed = [(c.asset_key.to_user_string(), c.check_name) for c in checks if not c.passed]
    assert checks and not failed, failed
    names = {c.check_name for c in checks}
    assert {"yearly_figures_sum_to_span", "figures_agree_across_marts"} <= names


def test_every_headline_figure_equals_the_planted_value(snapshot_run, con):
    planted = snapshot_run["truth"]["figures"]
    got = _headline(con)
    assert set(got) == set(planted), (sorted(set(planted) - set(got))[:10], sorted(set(got) - set(planted))[:10])
    wrong = {k: (got[k], planted[k]) for k in planted if not _same(got[k], planted[k])}
    assert not wrong, wrong
    # The planted data is not degenerate: the risk, funding and link figures are all exercised.
    for key in ("eu_cn_works_with_pla", "eu_cn_works_defence_linked", "eu_cn_works_security_linked",
                "eu_cn_works_with_pla_by_text_only", "eu_cn_works_defence_linked_by_text_only",
                "eu_cn_works_defence_programme_funded", "eu_cn_works_dual_use", "top10_links_involving_tum"):
        assert planted[f"{key}|{'DE-CN' if key.startswith('top10') else 'EUROPE'}|{SPAN}"] > 0, key


def test_the_demo_funds_some_works_from_china_but_not_its_government(snapshot_run, con):
    """Chinese-government funding is a true subset of Chinese funding (MERICS: about 80 % against 60 %): the demo
    plants Chinese funders that are not government ones, so the two shares differ, in the truth and the warehouse."""
    got, planted = _headline(con), snapshot_run["truth"]["figures"]
    china, government = (f"{m}|EUROPE|{SPAN}" for m in ("share_china_funded_of_disclosed",
                                                         "share_china_gov_funded_of_disclosed"))
    assert 0 < planted[government] < planted[china] - 0.1, (planted[government], planted[china])
    assert (got[china], got[government]) == (planted[china], planted[government])


def test_every_study_metric_is_present_for_every_year_and_the_span(con):
    got = _headline(con)
    missing = []
    for metric, (scopes, periods) in STUDY_METRICS.items():
        for scope in sorted(demo.EUROPE) if scopes == "countries" else scopes:
            missing += [f"{metric}|{scope}|{p}" for p in periods if f"{metric}|{scope}|{p}" not in got]
    assert not missing, missing
    dupes = con.execute(
        "select metric, scope, period from marts.headline_figures group by all having count(*) > 1"
    ).fetchall()
    assert not dupes
    types = dict(con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = 'marts' and table_name = 'headline_figures'"
    ).fetchall())
    assert types["period"] == "VARCHAR" and types["value"] == "DOUBLE"


def test_zero_denominators_give_null_shares(con):
    # Liechtenstein has no AI works in the demo pool: its shares must be NULL, its counts 0.
    rows = dict(con.execute(
        "select metric || '|' || period, value from marts.headline_figures where scope = 'LI'"
    ).fetchall())
    assert rows[f"country_ai_works|{YEARS[0]}"] == 0
    assert rows[f"country_share_with_cn|{YEARS[0]}"] is None


def test_every_mart_row_carries_the_dataset_label_and_definitions(snapshot_run, con):
    marts = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()]
    assert {"fct_eu_cn_works", "headline_figures", "sensitivity_figures", "agg_country_year", "agg_institution_links",
            "dim_institutions", "fct_work_funding", "agg_funding", "agg_risk_year", "institution_profiles",
            "agg_institution_parent_profiles", "institution_partners", "agg_institution_years", "fct_institution_eu_cn_works",
            "agg_risk_entity_partners"} <= set(marts)
    for mart in marts:
        labels = con.execute(f"select distinct dataset_label from marts.{mart}").fetchall()
        assert labels == [(f"SYNTHETIC demo data (seed {SEED}, {N_WORKS} works) — not real OpenAlex figures",)], mart
        sets = con.execute(f"select count(distinct definition_set) from marts.{mart}").fetchone()[0]
        assert sets == (N_DEFINITION_SETS if mart == "sensitivity_figures" else 1), mart
    assert con.execute("select distinct definition_set from marts.headline_figures").fetchall() == [
        ("eu27_uk_efta/concept_or_topic/default",)
    ]


def test_sensitivity_figures_cover_every_definition_set(con):
    sets = con.execute(
        """select europe_definition, ai_definition, risk_list_variant, risk_evidence, country_attribution
           from marts.sensitivity_figures group by all"""
    ).fetchall()
    assert len(sets) == N_DEFINITION_SETS
    span = dict(con.execute(
        f"""select definition_set, value from marts.sensitivity_figures
            where metric = 'eu_cn_works' and period = '{SPAN}'"""
    ).fetchall())
    headline = _headline(con)
    assert span["eu27_uk_efta/concept_or_topic/default"] == headline[f"eu_cn_works|EUROPE|{SPAN}"]
    # Narrower definitions never count more works than wider ones.
    assert span["eu27_uk/concept_or_topic/default"] <= span["eu27_uk_efta/concept_or_topic/default"]
    assert span["eu27_uk_efta/concept_only/default"] <= span["eu27_uk_efta/concept_or_topic/default"]
    assert span["eu27_uk_efta/concept_or_topic/default"] <= span["eu27_uk_efta/broad/default"]
    defence = dict(con.execute(
        """select risk_list_variant, value from marts.sensitivity_figures
            where metric = 'eu_cn_works_defence_linked' and europe_definition = 'europe_eu27_uk_efta'
              and ai_definition = 'concept_or_topic' and risk_evidence = 'with_affiliation_text'
              and country_attribution = 'institutions'"""
    ).fetchall())
    assert defence["default"] <= defence["wider_with_aspi_very_high"]


def test_risk_tags_follow_own_ror_ror_parent_and_lineage(con):
    paths = dict(con.execute(
        "select match_path, count(*) from intermediate.int_institution_risk_tags_matched group by 1"
    ).fetchall())
    assert {"own_ror", "ror_parent", "lineage_ancestor"} <= set(paths)
    # The generator's NUDT lab has no ROR id: only its lineage says it is NUDT's.
    lab = con.execute(
        """select is_pla, is_defence_linked, risk_reasons_text from marts.dim_institutions
           where institution_name like 'College of Intelligence Science and Technology, NUDT%'"""
    ).fetchone()
    assert lab[0] and lab[1] and "National University of Defense Technology" in lab[2] and "lineage ancestor" in lab[2]
    reasons = con.execute(
        "select count(*) from marts.fct_eu_cn_works where risk_level <> 'none' and (risk_reasons_text is null or len(risk_reasons) = 0)"
    ).fetchone()[0]
    assert reasons == 0


def test_funding_is_read_from_every_schema_era(con):
    eras = {r[0] for r in con.execute("select distinct schema_era from staging.stg_openalex__work_funding").fetchall()}
    assert eras == {"grants", "grants_funders_awards", "funders_awards"}
    # A Nov-2025 record names each grant twice (grants[] and awards[]): still one row per funder and award.
    dupes = con.execute(
        "select count(*) from (select work_id, funder_id, award_id from staging.stg_openalex__work_funding"
        " group by all having count(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0


def test_every_built_model_and_column_is_documented(snapshot_run, con):
    from dagster_project.resources import dbt_manifest as manifest

    # The build file holds every model; the published one leaves the staging models' base_ inputs out.
    build = duckdb.connect(str(snapshot_run["settings"].build_path), read_only=True)

    nodes = [n for n in manifest()["nodes"].values() if n["resource_type"] == "model" and n["package_name"] == "eu_cn_ai"]
    undocumented = []
    for node in nodes:
        if not (node.get("description") or "").strip():
            undocumented.append(node["name"])
        documented = {name for name, col in node["columns"].items() if (col.get("description") or "").strip()}
        built = {r[0] for r in build.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [node["schema"], node["name"]],
        ).fetchall()}
        assert built, f"{node['schema']}.{node['name']} was not built"
        undocumented += [f"{node['name']}.{c}" for c in sorted(built - documented)]
    build.close()
    assert not undocumented, undocumented


# --- institution profiles: every European institution's figures equal those planted ------------------------

PROFILE_COLUMNS = (
    "institution_ror", "institution_name", "country_code", "eu_cn_works", "eu_cn_works_with_pla",
    "eu_cn_works_defence_linked", "eu_cn_works_security_linked", "chinese_partners", "chinese_partners_pla",
    "chinese_partners_defence_linked", "first_year", "last_year", "ai_works", "share_of_ai_works_with_cn",
    "china_funded_works", "dual_use_works",
)


def test_every_institution_profile_equals_the_planted_profile(snapshot_run, con):
    planted = snapshot_run["truth"]["institutions"]["institutions"]
    rows = con.execute(
        f"select institution_id, {', '.join(PROFILE_COLUMNS)}, eu_cn_works_per_year from marts.institution_profiles"
    ).fetchall()
    got = {r[0]: dict(zip(PROFILE_COLUMNS + ("eu_cn_works_per_year",), r[1:], strict=True)) for r in rows}
    assert set(got) == set(planted), (sorted(set(planted) - set(got))[:5], sorted(set(got) - set(planted))[:5])
    wrong = {}
    for key, want in planted.items():
        have = got[key]
        per_year = {str(y["publication_year"]): y["eu_cn_works"] for y in have["eu_cn_works_per_year"]}
        diffs = {c: (have[c], want[c]) for c in PROFILE_COLUMNS if not _same_value(have[c], want[c])}
        if per_year != want["eu_cn_works_per_year"]:
            diffs["eu_cn_works_per_year"] = (per_year, want["eu_cn_works_per_year"])
        if diffs:
            wrong[key] = diffs
    assert not wrong, wrong
    # Not degenerate: some profiles have PLA and defence-linked partners, and the figures sum to the headline.
    assert sum(p["chinese_partners_pla"] for p in planted.values()) > 0
    assert sum(p["eu_cn_works_security_linked"] for p in planted.values()) > 0


def _same_value(a, b) -> bool:
    return _same(a, b) if isinstance(a, float) or isinstance(b, float) else a == b


def test_every_partner_pair_equals_the_planted_pair_including_labs_known_only_by_lineage(snapshot_run, con):
    planted = snapshot_run["truth"]["institutions"]["institutions"]
    want = {(eu, cn): (v["eu_cn_works"], sorted(v["tags"]))
            for eu, p in planted.items() for cn, v in p["partners"].items()}
    rows = con.execute(
        """select institution_id, partner_institution_id, eu_cn_works, partner_is_pla, partner_is_defence_linked,
                  partner_is_security_linked, partner_ror, partner_risk_match_path, partner_risk_entity_name
           from marts.institution_partners"""
    ).fetchall()
    got = {(r[0], r[1]): (r[2], sorted(t for t, on in zip(("pla", "defence_linked", "security_linked"), r[3:6], strict=True) if on))
           for r in rows}
    assert got == want
    # The generator's labs have no ROR id: only their lineage ties them to NUDT and Beihang, and a European
    # profile's PLA partner count depends on it.
    labs = {r[1]: r for r in rows if r[6] is None and r[7] == "lineage_ancestor"}
    assert {r[8] for r in labs.values()} >= {"National University of Defense Technology"}, labs
    lab_partners = {eu for (eu, cn) in want if cn in labs}
    assert lab_partners and all(planted[eu]["chinese_partners_defence_linked"] >= 1 for eu in lab_partners)


def test_parent_rollups_equal_the_planted_lineage_rollups(snapshot_run, con):
    planted = snapshot_run["truth"]["institutions"]["parents"]
    got = {r[0]: {"eu_cn_works": r[1], "eu_cn_works_defence_linked": r[2], "members": sorted(r[3])}
           for r in con.execute(
               """select parent_institution_id, eu_cn_works, eu_cn_works_defence_linked, member_institution_ids
                  from marts.agg_institution_parent_profiles""").fetchall()}
    assert planted and got == planted
    # Kept apart: a parent that is on no work itself has no direct row.
    direct = {r[0] for r in con.execute("select institution_id from marts.institution_profiles").fetchall()}
    indirect = {r[0] for r in con.execute(
        "select parent_institution_id from marts.agg_institution_parent_profiles where not parent_appears_directly"
    ).fetchall()}
    assert indirect and not indirect & direct


def test_growth_index_follows_the_planted_yearly_output(snapshot_run, con):
    planted = snapshot_run["truth"]["figures"]
    rows = con.execute(
        "select scope, publication_year, ai_works_index, partner_works_index from marts.agg_country_year"
        " where scope in ('EUROPE', 'CN', 'GB')"
    ).fetchall()
    metric = {"EUROPE": "europe_ai_works", "CN": "cn_ai_works", "GB": "country_ai_works"}
    for scope, year, ai_index, partner_index in rows:
        base = planted[f"{metric[scope]}|{scope}|{YEARS[0]}"]
        assert _same(ai_index, 100.0 * planted[f"{metric[scope]}|{scope}|{year}"] / base), (scope, year)
        if scope == "EUROPE":
            eu_cn = planted[f"eu_cn_works|EUROPE|{year}"] / planted[f"eu_cn_works|EUROPE|{YEARS[0]}"]
            assert _same(partner_index, 100.0 * eu_cn), year


def test_links_name_the_risk_entity_so_a_lab_and_its_parent_count_once(con):
    rows = con.execute(
        """select chinese_institution_id, chinese_ror_id, chinese_risk_entity_id, chinese_risk_entity_name,
                  chinese_risk_entity_lists, chinese_risk_match_path
           from marts.agg_institution_links where chinese_institution_name like '%(synthetic demo lab)'"""
    ).fetchall()
    assert {r[3] for r in rows} == {"National University of Defense Technology", "Beihang University"}
    for lab, ror, entity_id, _name, lists, path in rows:
        assert ror is None and path == "lineage_ancestor" and lists, lab
        parent = con.execute(
            "select distinct chinese_risk_entity_id, chinese_risk_match_path from marts.agg_institution_links"
            " where chinese_ror_id = (select ror_id from reference.risk_entities where entity_id = ?)", [entity_id]
        ).fetchall()
        assert parent in ([], [(entity_id, "own_ror")]), parent
    # Every tagged link names its entity; untagged ones name none.
    mismatched = con.execute(
        """select count(*) from marts.agg_institution_links
           where (chinese_risk_level = 'none') <> (chinese_risk_entity_id is null)"""
    ).fetchone()[0]
    assert mismatched == 0


# --- sensitivity figures: every definition set equals the figures planted for it ----------------------------

SENSITIVITY_KEY = "metric || '|' || scope || '|' || period"


@pytest.fixture(scope="module")
def sensitivity_truth():
    """Worked out in plain Python from the same generated records the snapshot holds (the generator is
    deterministic), never from the warehouse."""
    pool = demo.Pool.load()
    latest, _older = demo.generate_records(N_WORKS, SEED, pool)
    return {"latest": latest, "pool": pool, "figures": planted_sensitivity.expected_sensitivity_figures(latest, pool)}


def test_the_generator_plants_what_makes_each_definition_set_differ(sensitivity_truth):
    latest, pool = sensitivity_truth["latest"], sensitivity_truth["pool"]
    in_scope = [r for r in latest if planted_truth.in_scope(r)]
    eu_cn = [r for r in in_scope if _countries(r) & demo.EUROPE and _countries(r) & demo.STUDY.china]
    threshold = demo.AI_CONCEPT_MIN_SCORE
    kinds = {(bucket, ai_topic) for r in eu_cn
             if (score := planted_sensitivity.concept_score(r)) is not None
             for bucket in [("zero" if score == 0 else "below" if score < threshold else "at_or_above")]
             for ai_topic in [planted_sensitivity.ai_definitions(r)["topic_only"]]}
    assert kinds == {(b, t) for b in ("zero", "below", "at_or_above") for t in (True, False)}, kinds
    assert any(planted_sensitivity.concept_score(r) == threshold for r in eu_cn), "no work sits on the threshold"
    narrower = planted_sensitivity.europes()["europe_eu27_uk"]
    assert any(not (_countries(r) & narrower) for r in eu_cn), "no Europe–China work outside the narrower Europe"
    risk = planted_sensitivity.risk_by_institution(pool)
    aspi_only = [r for r in eu_cn if not any(risk.get(i, {}).get("default") for i in _institution_ids(r))
                 and any(risk.get(i, {}).get("wider_with_aspi_very_high") for i in _institution_ids(r))]
    assert aspi_only, "no Europe–China work whose only risk partner is ASPI very high"


def _countries(rec: dict) -> set[str]:
    return {i["country_code"] for a in rec["authorships"] for i in a["institutions"]}


def _institution_ids(rec: dict) -> set[str]:
    return {i["id"] for a in rec["authorships"] for i in a["institutions"]}


def test_every_sensitivity_figure_equals_the_planted_value(con, sensitivity_truth):
    planted = sensitivity_truth["figures"]
    rows = con.execute(
        f"""select definition_set, {SENSITIVITY_KEY}, value, denominator_source, value_in_force, change_vs_in_force,
                   europe_definition, ai_definition, risk_list_variant, risk_evidence, country_attribution,
                   is_definition_in_force
            from marts.sensitivity_figures"""
    ).fetchall()
    got: dict[str, dict] = {}
    for name, key, value, source, in_force, change, *parts in rows:
        assert key not in got.setdefault(name, {}), (name, key)
        got[name][key] = value
        assert source == "counted from the works", (name, key, source)
        europe, ai, risk, evidence, attribution, is_in_force = parts
        assert name == planted_sensitivity.definition_set_name(europe, ai, risk, evidence, attribution)
        assert is_in_force == (name == planted_sensitivity.definition_set_in_force())
        want_in_force = planted[planted_sensitivity.definition_set_in_force()][key]
        want_change = None if value is None or not want_in_force else (value - want_in_force) / want_in_force
        assert _same(in_force, want_in_force) and _same(change, want_change), (name, key, in_force, change)
    assert set(got) == set(planted) and len(planted) == N_DEFINITION_SETS
    wrong = {(name, key): (got[name].get(key, "missing"), want)
             for name, figures in planted.items() for key, want in figures.items()
             if key not in got[name] or not _same(got[name][key], want)}
    extra = {(name, key) for name in got for key in got[name] if key not in planted[name]}
    assert not wrong and not extra, (dict(list(wrong.items())[:10]), sorted(extra)[:10])
    # The set in force is the headline, and each dimension moves the figures (the planted data is not degenerate).
    headline = _headline(con)
    in_force = planted[planted_sensitivity.definition_set_in_force()]
    assert all(_same(headline[k], v) for k, v in in_force.items() if k in headline)

    def figure(name, metric, scope="EUROPE"):
        return planted[name][f"{metric}|{scope}|{SPAN}"]

    base = "eu27_uk_efta/concept_or_topic/default"
    assert figure("eu27_uk/concept_or_topic/default", "eu_cn_works") < figure(base, "eu_cn_works")
    scored, assigned = "eu27_uk_efta/concept_scored_or_topic/default", "eu27_uk_efta/concept_assigned_or_topic/default"
    assert figure(assigned, "eu_cn_works") < figure(scored, "eu_cn_works") < figure(base, "eu_cn_works")
    assert figure(assigned, "europe_ai_works") < figure(scored, "europe_ai_works") < figure(base, "europe_ai_works")
    assert figure(assigned, "cn_ai_works", "CN") < figure(scored, "cn_ai_works", "CN") < figure(base, "cn_ai_works", "CN")
    assert figure("eu27_uk_efta/topic_only/default", "eu_cn_works") < figure(base, "eu_cn_works")
    assert figure("eu27_uk_efta/concept_only/default", "eu_cn_works") < figure(base, "eu_cn_works")
    wider = "eu27_uk_efta/concept_or_topic/wider_with_aspi_very_high"
    assert figure(wider, "eu_cn_works_defence_linked") > figure(base, "eu_cn_works_defence_linked")
    assert figure(wider, "eu_cn_works_with_pla") == figure(base, "eu_cn_works_with_pla")


def test_the_sensitivity_truth_follows_each_definition_on_hand_made_works():
    """The planted truth itself, on works counted by hand: each concept score, a Swiss-only work, an ASPI partner."""
    pool = demo.Pool.load()
    by_ror = {i["ror"]: i for i in pool.china}
    civil, aspi = by_ror["https://ror.org/02v51f717"], by_ror["https://ror.org/03cve4549"]  # Peking U., Tsinghua U.
    de, ch = {"id": "I-de", "country_code": "DE"}, {"id": "I-ch", "country_code": "CH"}
    year = demo.PERIOD[0]

    def work(n, score, topic, europe, partner):
        return {"id": f"W{n}", "publication_year": year, "language": demo.STUDY.language,
                "concepts": [] if score is None else [{"id": demo.AI_CONCEPT, "score": score}],
                "topics": [demo.AI_TOPIC] if topic else [demo.OTHER_TOPIC],
                "primary_topic": demo.AI_TOPIC if topic else demo.OTHER_TOPIC,
                "authorships": [{"institutions": [europe]}, {"institutions": [partner]}]}

    threshold = demo.AI_CONCEPT_MIN_SCORE
    works = [work(1, 0.0, False, de, civil), work(2, threshold / 2, False, de, civil), work(3, threshold, False, de, aspi),
             work(4, None, True, ch, civil), work(5, 0.0, True, de, civil)]
    got = planted_sensitivity.expected_sensitivity_figures(works, pool)

    def eu_cn(name, metric="eu_cn_works"):
        return got[name][f"{metric}|EUROPE|{SPAN}"]

    assert eu_cn("eu27_uk_efta/concept_or_topic/default") == 5
    assert eu_cn("eu27_uk_efta/concept_scored_or_topic/default") == 4      # not the score-0 work without a topic
    assert eu_cn("eu27_uk_efta/concept_assigned_or_topic/default") == 3    # nor the one below the threshold
    assert eu_cn("eu27_uk_efta/concept_only/default") == 4
    assert eu_cn("eu27_uk_efta/topic_only/default") == 2
    assert eu_cn("eu27_uk/concept_or_topic/default") == 4                  # the Swiss-only work drops out
    assert eu_cn("eu27_uk_efta/concept_or_topic/default", "eu_cn_works_defence_linked") == 0
    assert eu_cn("eu27_uk_efta/concept_or_topic/wider_with_aspi_very_high", "eu_cn_works_defence_linked") == 1
    assert got["eu27_uk_efta/concept_or_topic/default"][f"europe_ai_works|EUROPE|{year}"] == 5


# --- real affiliations: text evidence, traps, stripped institutions, an author listed twice, the review queue ------

@pytest.fixture(scope="module")
def affiliations(snapshot_run):
    """What the generator planted (dagster_project/demo_data/plants.py), as the truth saved beside the snapshot."""
    return snapshot_run["truth"]["affiliations"]


def test_the_demo_plants_every_affiliation_phenomenon(snapshot_run, affiliations):
    matched = [s for _work, s, _entity in affiliations["text_matches"]]
    assert all(any(e.text in s for s in matched) for e in plants.TEXT_EVIDENCE), matched
    assert {r["candidate_kind"] for r in affiliations["review_candidates"]} == {"institution", "affiliation_string"}
    assert [r["eu_cn_works"] for r in affiliations["review_candidates"]] == [
        c.hosts for c in plants.REVIEW_PARTNERS + plants.REVIEW_STRINGS]
    assert affiliations["repeated_authors"] and affiliations["stripped"]
    figures = snapshot_run["truth"]["figures"]
    assert figures[f"eu_cn_works_with_pla_by_text_only|EUROPE|{SPAN}"] > 0
    assert figures[f"eu_cn_works_defence_linked_by_text_only|EUROPE|{SPAN}"] > figures[
        f"eu_cn_works_with_pla_by_text_only|EUROPE|{SPAN}"]  # one string names a defence-linked body, not a PLA one


def test_the_text_matcher_finds_exactly_the_planted_names(con, affiliations):
    """Every planted string naming a listed body is found (English name, alias, Chinese name, beside a resolved
    string, on a work with a PLA partner anyway), and nothing else: no trap, and none of the demo's own strings
    (each names its resolved institution, which its ROR id already matches)."""
    rows = con.execute(
        "select work_id, raw_affiliation_string, entity_id from intermediate.int_affiliation_risk_names_matched"
    ).fetchall()
    assert sorted(map(list, rows)) == affiliations["text_matches"]
    # The traps reached the matcher: they are staged on Europe–China candidate works, and none was tagged.
    traps = [t.text for group in plants.TRAPS for t in group]
    seen = {r[0] for r in con.execute(
        """select raw_affiliation_string from staging.stg_openalex__authorship_affiliations
           semi join intermediate.int_works_eu_cn_candidates using (work_id)
           where raw_affiliation_string in (select unnest(?))""", [traps]).fetchall()}
    assert seen == set(traps)
    assert not seen & {s for _w, s, _e in affiliations["text_matches"]}
    # A work tagged on text alone says which string and which name tagged it.
    unexplained = con.execute(
        """select work_id from marts.fct_eu_cn_works
           where (has_pla_by_text_only or has_defence_linked_by_text_only)
             and not list_bool_or([r.match_path = 'affiliation_text' and r.affiliation_string is not null
                                   for r in risk_reasons])"""
    ).fetchall()
    assert not unexplained


def test_stripped_institution_objects_are_filled_from_the_institution_records(con, affiliations):
    filled = con.execute(
        """select work_id, institution_id, country_code from staging.stg_openalex__authorship_institutions
           where is_country_filled"""
    ).fetchall()
    assert sorted([w, i] for w, i, _c in filled) == affiliations["stripped"]
    # On one work every Chinese object was stripped (a PLA partner), on another every European one: without the
    # fill neither would be a Europe–China work; with it both are, the PLA tag kept.
    sides = {w: {c for w2, _i, c in filled if w2 == w} for w, _i, _c in filled}
    assert {frozenset(s) for s in sides.values()} >= {frozenset({"CN"})}
    eu_cn = dict(con.execute(
        "select work_id, has_pla from marts.fct_eu_cn_works where work_id in (select unnest(?))", [list(sides)]
    ).fetchall())
    assert set(eu_cn) == set(sides) and all(eu_cn[w] for w, s in sides.items() if s == {"CN"})


def test_an_author_listed_twice_on_a_work_counts_once(con, affiliations):
    """No mart figure counts authorships; the per-work institution rows do (int_work_institutions_classified)."""
    eu_cn = {r[0] for r in con.execute("select work_id from marts.fct_eu_cn_works").fetchall()}
    rows = con.execute("select work_id, institution_id, authorships from intermediate.int_work_institutions_classified"
                       " where work_id in (select unnest(?))", [sorted(eu_cn)]).fetchall()
    got = {f"{w}|{i}": n for w, i, n in rows}
    want = {k: n for k, n in affiliations["authorships"].items() if k.split("|")[0] in eu_cn}
    assert got == want
    repeated = {w for w, _author in affiliations["repeated_authors"]}
    assert repeated and repeated <= eu_cn


def test_the_review_queue_holds_exactly_the_planted_candidates(con, affiliations):
    columns = ("candidate_kind", "candidate_key", "candidate_name", "ror_id", "matched_terms", "eu_cn_works",
               "example_work_ids")
    rows = con.execute(f"select {', '.join(columns)} from marts.risk_review_candidates").fetchall()

    def ordered(candidates):
        return sorted(candidates, key=lambda r: (r["candidate_kind"], r["candidate_key"]))

    assert ordered(dict(zip(columns, r, strict=True)) for r in rows) == ordered(affiliations["review_candidates"])
