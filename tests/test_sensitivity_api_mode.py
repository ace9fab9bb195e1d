"""marts.sensitivity_figures when the source is the OpenAlex API: the whole full_refresh job fetches from the local
OpenAlex stand-in (real HTTP, real pyalex, real fixture records plus demo works) and builds the warehouse.

The API's group_by counts are fetched for the definitions in force only, and the API's filters cannot express a
concept-score AI definition, so only the set in force may take its denominators from them; every other set says
its denominators are not available rather than mixing counts of two populations. Every figure is checked against
what the stand-in holds, worked out in plain Python (tests/planted/planted_sensitivity.py), never read back from the warehouse.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.demo_data import generator as demo
from tests.conftest import pinned, set_warehouse_env, up_to_publish
from tests.planted import planted_sensitivity

sys.path.insert(0, str(Path(__file__).parent))
from openalex_standin import StandIn, load_dataset  # noqa: E402

pytestmark = pytest.mark.slow  # one whole job run

KEY = "oa-sensitivity-KEY-3b9e"
DEMO_WORKS = 2000
SEED = 31
IN_FORCE = planted_sensitivity.definition_set_in_force()
SPAN = f"{demo.PERIOD[0]}-{demo.PERIOD[1]}"
YEARS = [str(y) for y in range(demo.PERIOD[0], demo.PERIOD[1] + 1)]
API_SOURCE = "OpenAlex API group_by counts"
NUMERATORS = ("eu_cn_works", "eu_cn_works_with_pla", "eu_cn_works_defence_linked")
DENOMINATORS = ("europe_ai_works", "cn_ai_works")


@pytest.fixture(scope="module")
def api_run(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("sensitivity_api")
    dataset = load_dataset(DEMO_WORKS, SEED)
    with StandIn(dataset, api_key=KEY) as server:
        set_warehouse_env(mp, root, OPENALEX_SOURCE="api", OPENALEX_API_KEY=KEY, OPENALEX_API_URL=server.url)
        from dagster_project.definitions import defs
        from dagster_project.settings import load_settings

        result = defs.resolve_job_def("full_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False, asset_selection=up_to_publish(defs)
        )
        settings = pinned(load_settings(), root)
    rows = []
    if result.success:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            rows = con.execute(
                """select definition_set, ai_definition, is_definition_in_force, denominator_source,
                          metric || '|' || scope || '|' || period, value, numerator_source
                   from marts.sensitivity_figures"""
            ).fetchall()
    mp.undo()
    # What the stand-in holds, in plain Python: every figure of every set, counted over all its works.
    truth = planted_sensitivity.expected_sensitivity_figures(dataset.works, demo.Pool.load())
    yield {"result": result, "rows": rows, "truth": truth, "dataset": dataset, "settings": settings}


@pytest.fixture(scope="module")
def mart(api_run):
    failed = [e.message for e in api_run["result"].all_events if e.is_failure]
    assert api_run["result"].success, failed[:3]
    out: dict[str, dict] = {}
    for name, ai, in_force, source, key, value, numerator_source in api_run["rows"]:
        entry = out.setdefault(name, {"ai": ai, "in_force": in_force, "sources": set(), "figures": {}, "numerators": set()})
        entry["sources"].add(source)
        entry["numerators"].add(numerator_source)
        entry["figures"][key] = value
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_the_set_in_force_takes_its_denominators_from_the_api_counts(mart, api_run):
    assert [n for n, e in mart.items() if e["in_force"]] == [IN_FORCE]
    assert mart[IN_FORCE]["sources"] == {API_SOURCE}
    assert [n for n, e in mart.items() if API_SOURCE in e["sources"]] == [IN_FORCE]
    # Numerators come from the fetched works, denominators from the API's counts: both equal the stand-in's works.
    want = api_run["truth"][IN_FORCE]
    got = mart[IN_FORCE]["figures"]
    assert set(got) == set(want)
    wrong = {k: (got[k], want[k]) for k in want if not _same(got[k], want[k])}
    assert not wrong, wrong
    # Not degenerate: Europe–China works, risk partners and denominators in every year.
    assert want[f"eu_cn_works_with_pla|EUROPE|{SPAN}"] > 0 and want[f"eu_cn_works_defence_linked|EUROPE|{SPAN}"] > 0
    assert all(want[f"europe_ai_works|EUROPE|{y}"] > want[f"eu_cn_works|EUROPE|{y}"] > 0 for y in YEARS)


def test_every_other_set_has_no_denominators_and_says_why(mart):
    others = {n: e for n, e in mart.items() if n != IN_FORCE}
    assert len(others) == len(mart) - 1 > 0
    concept_score = {n for n, e in others.items() if e["ai"] in ("concept_scored_or_topic", "concept_assigned_or_topic")}
    assert concept_score, "the dbt vars name no concept-score AI definition"
    for name, entry in others.items():
        assert len(entry["sources"]) == 1 and next(iter(entry["sources"])).startswith("not available: "), name
        figures = entry["figures"]
        known = [k for k, v in figures.items() if k.split("|")[0] in DENOMINATORS and v is not None]
        shares = [k for k, v in figures.items()
                  if k.split("|")[0] in ("europe_share_with_cn", "cn_share_with_europe") and v is not None]
        assert not known and not shares, (name, known[:3], shares[:3])
        assert sum(1 for k in figures if k.split("|")[0] in DENOMINATORS) == len(YEARS) + 2, name


def _wider_than_the_fetch(name: str, entry: dict) -> bool:
    """The 'broad' AI definition, or countries attributed also from OpenAlex's authorships[].countries: the fetch
    asked for neither."""
    return entry["ai"] == "broad" or "/countries=" in name


def test_numerators_of_sets_inside_the_fetched_population_equal_the_stand_ins_works(mart, api_run):
    """The API fetch returns the works of the definitions in force; a set whose Europe and AI definition are
    narrower counts its numerators from those works, and they must equal the stand-in's."""
    checked = 0
    for name, entry in mart.items():
        if _wider_than_the_fetch(name, entry):  # see the next test
            continue
        want = api_run["truth"][name]
        got = entry["figures"]
        keys = [k for k in want if k.split("|")[0] in NUMERATORS]
        wrong = {k: (got.get(k), want[k]) for k in keys if not _same(got.get(k), want[k])}
        assert not wrong, (name, wrong)
        checked += 1
    assert checked >= len(mart) - 7
    # The concept-score sets count fewer works than the set in force on the same works.
    scored = IN_FORCE.replace("/concept_or_topic/", "/concept_assigned_or_topic/")
    assert api_run["truth"][scored][f"eu_cn_works|EUROPE|{SPAN}"] < api_run["truth"][IN_FORCE][f"eu_cn_works|EUROPE|{SPAN}"]


def test_sets_wider_than_the_fetch_have_no_counts_in_api_mode_and_say_why(mart):
    """The API fetch asks only for the works of the AI definition in force (AI concept or subfield 1702) by their
    institutions' countries: the 'broad' definition (also subfield 1707) and the authorship-countries attribution
    cannot be counted from them, so their counts are NULL, not too low."""
    broad = {n: e for n, e in mart.items() if _wider_than_the_fetch(n, e)}
    assert broad and any("/countries=" in n for n in broad)
    for name, entry in broad.items():
        assert len(entry["numerators"]) == 1 and next(iter(entry["numerators"])).startswith("not available: "), name
        counted = {k: v for k, v in entry["figures"].items() if k.split("|")[0] in NUMERATORS and v is not None}
        assert not counted, (name, list(counted)[:3])
    inside = {e["numerators"].pop() for n, e in mart.items() if not _wider_than_the_fetch(n, e)}
    assert inside == {"counted from the works the API fetch returned"}


def test_the_raw_layer_holds_exactly_what_the_api_serves_and_its_checks_pass(api_run):
    """The raw assets fetched the study's works and group_by counts from the stand-in through pyalex, landed and
    loaded them: every raw check passes and the raw tables hold exactly the stand-in's in-scope works and counts."""
    from dagster_project.ingest import openalex_api as api
    from tests.test_api_ingest import expected_counts, expected_works

    result = api_run["result"]
    assert result.success
    raw_checks = [e for e in result.get_asset_check_evaluations() if e.asset_key.path[0] == "openalex"]
    assert raw_checks and all(e.passed for e in raw_checks), [(e.asset_key, e.check_name) for e in raw_checks if not e.passed]
    scope = api.StudyScope.from_dbt()
    want = expected_works(api_run["dataset"], scope)
    with duckdb.connect(str(api_run["settings"].build_path), read_only=True) as con:
        ids = [r[0] for r in con.execute("select id from raw.works").fetchall()]
        counts = dict(((s, y), n) for s, y, n in con.execute("select scope, publication_year, works_count from raw.work_counts").fetchall())
        source = con.execute("select source, is_synthetic from raw.dataset").fetchone()
        files = con.execute("select count(*), sum(records), sum(loaded) from raw.load_log where entity = 'works'").fetchone()
    assert sorted(ids) == sorted(want)
    assert counts == expected_counts(api_run["dataset"], scope)
    assert source == ("api", False)
    assert files[1] == files[2] == len(want)
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"openalex/works", "openalex/work_counts", "openalex/institutions", "openalex/funders"} <= materialized
