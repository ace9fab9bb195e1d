"""Works with more than 100 authors in the `api` source: OpenAlex's list pages cut their authorships at 100
(`is_authors_truncated: true`), so each is fetched whole through `/works/W…` and lands with every author.

The stand-in serves two such works beside real and demo records: 130 authors each, whose 120th author is at a
PLA university and whose 130th at an Italian institution, neither on any earlier author.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.demo_data import generator as demo
from dagster_project.ingest import openalex_api as api
from dagster_project.settings import load_settings
from tests.conftest import run_dbt, set_warehouse_env
from tests.test_api_ingest import ListLog, countries, expected_works, landed, short

sys.path.insert(0, str(Path(__file__).parent))
from openalex_standin import StandIn, load_dataset  # noqa: E402

KEY = "oa-truncated-KEY-51c2e8"
SCOPE = replace(api.StudyScope.from_dbt(), europe=("DE", "FR", "GB", "IT", "NL"))
FAST = {"retry_wait": 0.05, "progress": False}
AUTHORS = 130
LATE_CN, LATE_EU = 119, 129  # the 120th and the 130th author


def _institution(inst: dict) -> dict:
    """An institution as it appears inside a work's authorship."""
    return {k: inst[k] for k in ("id", "display_name", "ror", "country_code", "type", "lineage")}


def big_works(dataset, scope) -> tuple[list[dict], dict, dict]:
    """Two Europe–China AI works of 130 authors, built on demo works: their first 100 authors at one European
    (not Italian) and one untagged Chinese institution of the demo work; the 120th author at a PLA university, the
    130th in Italy, neither on an earlier author."""
    pool = demo.Pool.load()
    tags = {c["id"]: c["tags"] for c in pool.china}
    pla = next(c for c in pool.china if "pla" in c["tags"])
    italian = pool.europe["IT"][0]
    templates = []
    for rec in sorted(expected_works(dataset, scope).values(), key=lambda r: r["id"]):
        insts = [i for a in rec["authorships"] for i in a["institutions"]]
        eu = [i for i in insts if i["country_code"] in set(scope.europe) - {"IT"}]
        cn = [i for i in insts if i["country_code"] == "CN" and not tags.get(i["id"])]
        if rec["id"].startswith("https://openalex.org/W7") and eu and cn and rec.get("topics"):
            templates.append((rec, eu[0], cn[0]))
    works = []
    for k, (rec, eu, cn) in enumerate(templates[:2]):
        number = 6_100_000_000 + k
        authorships = []
        for n in range(AUTHORS):
            inst = {LATE_CN: pla, LATE_EU: italian}.get(n) or (eu if n % 2 == 0 else cn)
            authorships.append({
                "author_position": "first" if n == 0 else "last" if n == AUTHORS - 1 else "middle",
                "author": {"id": f"https://openalex.org/A{number * 1000 + n}", "display_name": f"Author {k}-{n}"},
                "institutions": [_institution(inst)], "countries": [inst["country_code"]],
            })
        works.append({**rec, "id": f"https://openalex.org/W{number}", "doi": f"https://doi.org/10.5555/big.{k}",
                      "title": f"A large collaboration {k}", "display_name": f"A large collaboration {k}",
                      "authorships": authorships})
    assert len(works) == 2
    return works, pla, italian


DATASET = load_dataset(600, 2023)
BIG, PLA, ITALIAN = big_works(DATASET, SCOPE)
BIG_IDS = [short(w["id"]) for w in BIG]


@pytest.fixture(scope="module")
def server():
    with StandIn(DATASET.with_works(BIG), api_key=KEY) as s:
        yield s


@pytest.fixture(autouse=True)
def _clean_server(server):
    server.reset()
    yield
    server.reset()


@pytest.fixture
def settings(monkeypatch, tmp_path, server):
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="api", OPENALEX_API_KEY=KEY, OPENALEX_API_URL=server.url)
    return load_settings()


def single_work_requests(server) -> list[str]:
    return [r["path"].rsplit("/", 1)[-1].upper() for r in server.requests("/works/")]


def assert_landed_whole(root: Path) -> dict:
    works = {short(w["id"]): w for w in landed(root)["works"]}
    for want in BIG:
        got = works[short(want["id"])]
        assert len(got["authorships"]) == AUTHORS, f"{got['id']} landed with {len(got['authorships'])} authorships"
        assert got == want, "the whole record as the single-work endpoint serves it"
        assert got["authorships"][LATE_CN]["institutions"][0]["id"] == PLA["id"]
        assert "IT" in countries(got)
    return works


def test_the_stand_in_cuts_list_pages_at_100_authors_and_serves_the_whole_work_alone(server):
    import requests

    h = {"Authorization": f"Bearer {KEY}"}
    listed = requests.get(f"{server.url}/works", headers=h, params={"filter": f"openalex_id:{BIG_IDS[0]}"}).json()["results"]
    assert len(listed) == 1 and listed[0]["is_authors_truncated"] is True and len(listed[0]["authorships"]) == 100
    assert PLA["id"] not in json.dumps(listed[0]) and "IT" not in countries(listed[0])
    assert requests.get(f"{server.url}/works/{BIG_IDS[0]}", headers=h).json() == BIG[0]
    # Filters see the cut copy, as OpenAlex documents: the Italian author past the 100th does not make it an IT work.
    italian = requests.get(f"{server.url}/works", headers=h,
                           params={"filter": f"openalex_id:{BIG_IDS[0]},institutions.country_code:IT"}).json()
    assert italian["meta"]["count"] == 0


def test_a_work_cut_at_100_authors_lands_whole_with_its_partner_past_the_100th(server, settings):
    log = ListLog()
    result = api.fetch(settings, log, scope=SCOPE, per_page=50, **FAST)
    assert_landed_whole(result.root)
    got = landed(result.root)
    assert not any(w.get("is_authors_truncated") for w in got["works"]), "no cut record lands"
    # The institutions of the authors past the 100th are fetched too.
    assert {PLA["id"], ITALIAN["id"]} <= {i["id"] for i in got["institutions"]}
    # One request per cut work, through the same client: counted, with the key as a Bearer header.
    assert sorted(single_work_requests(server)) == sorted(BIG_IDS)
    assert all(r["bearer"] and not r["api_key_param"] for r in server.requests("/works/"))
    stats = result.stats
    assert stats["works_refetched_whole"] == 2 and stats["requests"] == len(server.requests())
    assert sorted(got["manifest"]["fetch"]["works_fetched_whole"]["ids"]) == sorted(BIG_IDS)
    assert "2 fetched whole" in log.text()


@pytest.mark.parametrize("kind, reason", [("503", "HTTP 503"), ("truncate", "ChunkedEncodingError"),
                                          ("bad_json", "non-JSON body"), ("reset", "ConnectionError")])
def test_faults_on_the_single_work_endpoint_are_retried_and_the_work_still_lands_whole(kind, reason, server, settings):
    fault = server.add_fault(kind, path=f"/works/{BIG_IDS[0]}", times=2, retry_after=None)
    log = ListLog()
    result = api.fetch(settings, log, scope=SCOPE, per_page=50, **FAST)
    assert fault.fired == 2
    assert_landed_whole(result.root)
    assert single_work_requests(server).count(BIG_IDS[0]) == 3
    assert result.stats["retries"] == 2 and result.stats["retry_reasons"] == {reason: 2}
    assert f"the whole record of work {BIG_IDS[0]}" in log.text() and "retrying" in log.text()


def test_a_single_work_request_that_keeps_failing_fails_the_fetch_naming_the_work(server, settings):
    server.add_fault("503", path=f"/works/{BIG_IDS[1]}", times=None, retry_after=None)
    with pytest.raises(api.ApiFetchError) as info:
        api.fetch(settings, ListLog(), scope=SCOPE, per_page=50, max_attempts=3, **FAST)
    message = str(info.value)
    assert f"work {BIG_IDS[1]}" in message and "gave up" in message.lower() and "HTTP 503" in message
    assert "resumes where it stopped" in message and message.count(". ") == 0, "one sentence"
    assert single_work_requests(server).count(BIG_IDS[1]) == 3, "retried, through the one retry layer"
    assert not (settings.raw_dir / "api" / "manifest.json").exists(), "nothing landed, the cut record least of all"
    assert not (settings.raw_dir / "api" / "data").exists()


def test_a_resumed_fetch_does_not_fetch_again_what_it_has(server, settings):
    def interrupt(name, info):
        if name == "whole_work_saved":
            raise KeyboardInterrupt(f"simulated kill after {info['work']}")

    with pytest.raises(KeyboardInterrupt):
        api.fetch(settings, ListLog(), scope=SCOPE, per_page=50, on_event=interrupt, **FAST)
    first = single_work_requests(server)
    assert len(first) == 1
    server.reset()
    result = api.fetch(settings, ListLog(), scope=SCOPE, per_page=50, **FAST)
    assert_landed_whole(result.root)
    assert single_work_requests(server) == [w for w in BIG_IDS if w not in first], "only the work it did not have"
    assert not [r for r in server.requests("/works") if "cursor=" in r["query"]], "no list page fetched again"
    assert result.stats["works_refetched_whole"] == 2 and result.stats["resumed"]


def test_a_spent_budget_on_a_single_work_keeps_what_was_fetched_and_the_next_run_finishes(server, settings):
    server.add_fault("budget", path=f"/works/{BIG_IDS[1]}", times=None, retry_after=None)
    with pytest.raises(api.BudgetExhausted) as info:
        api.fetch(settings, ListLog(), scope=SCOPE, per_page=50, **FAST)
    assert f"work {BIG_IDS[1]}" in str(info.value) and KEY not in str(info.value)
    assert len(server.requests(status=429)) == 1
    state = json.loads((settings.raw_dir / "api" / ".checkpoint" / "state.json").read_text())
    assert all(st["done"] for st in state["works"].values()) and sorted(state["whole_works"]["ids"]) == sorted(BIG_IDS)
    server.reset()
    result = api.fetch(settings, ListLog(), scope=SCOPE, per_page=50, **FAST)
    assert_landed_whole(result.root)
    assert single_work_requests(server) == [BIG_IDS[1]]
    assert not [r for r in server.requests("/works") if "cursor=" in r["query"]]


@pytest.mark.slow  # the raw step through Dagster, then the dbt models up to fct_eu_cn_works
def test_the_partner_past_the_100th_author_counts_in_the_warehouse(server, settings, tmp_path):
    from dagster_project import resources
    from dagster_project.assets.raw import openalex_raw
    from dagster_project.run_guard import warehouse_resources

    result = dg.materialize([openalex_raw], resources=warehouse_resources(),
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    meta = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert meta["openalex/works"]["api_fetch"].value["works_refetched_whole"] == 2
    resources.prepare_dbt_project()
    invocation, _ = run_dbt(settings.build_path, "build", "--select", "+fct_eu_cn_works", "--exclude", "resource_type:test")
    assert invocation.is_successful()
    with duckdb.connect(str(settings.build_path), read_only=True) as con:
        rows = con.execute(
            """select work_id, european_countries, chinese_institutions, has_pla from marts.fct_eu_cn_works
               where work_id in (select unnest(?))""", [BIG_IDS]).fetchall()
    assert len(rows) == 2
    for work_id, european, chinese, has_pla in rows:
        assert "IT" in json.dumps(european), (work_id, european)
        assert PLA["display_name"] in json.dumps(chinese, ensure_ascii=False), (work_id, chinese)
        assert has_pla, work_id
