"""The `api` source: queries built by the real pyalex, sent over real HTTP to a local OpenAlex stand-in serving real records.

Offline and fast: one stand-in per module (real fixture records + demo works), faults injected per test.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pyalex
import pytest

from dagster_project.ingest import openalex_api as api
from dagster_project.settings import PROJECT_ROOT, load_settings
from tests.conftest import set_warehouse_env

sys.path.insert(0, str(Path(__file__).parent))
from openalex_standin import StandIn, load_dataset  # noqa: E402

KEY = "oa-test-KEY-7f3c1d9e5b"  # distinctive, so a leak anywhere is found by a plain substring search
EMAIL = "warehouse-tests@example.org"
STUDY = api.StudyScope.from_dbt()
SMALL = replace(STUDY, europe=("DE", "FR", "GB", "NL"))  # fewer group_by calls for the fault tests
FAST = {"retry_wait": 0.05, "progress": False}


class ListLog:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def info(self, msg):
        self.lines.append(("info", str(msg)))

    def warning(self, msg):
        self.lines.append(("warning", str(msg)))

    def text(self) -> str:
        return "\n".join(m for _, m in self.lines)


@pytest.fixture(scope="module")
def server():
    with StandIn(load_dataset(6000, 2023), api_key=KEY) as s:
        yield s


@pytest.fixture(autouse=True)
def _clean_server(server):
    server.reset()
    yield
    server.reset()


@pytest.fixture
def settings(monkeypatch, tmp_path, server):
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="api", OPENALEX_API_KEY=KEY, OPENALEX_EMAIL=EMAIL,
                      OPENALEX_API_URL=server.url)
    return load_settings()


# --- what the landed files hold, and what they should hold ----------------------------------------------

def read_jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def landed(root: Path) -> dict:
    out = {}
    for entity in ("works", "institutions", "funders"):
        files = sorted((root / "data" / "jsonl" / entity).glob("updated_date=*/part_*.gz"))
        out[entity] = [rec for f in files for rec in read_jsonl_gz(f)]
    out["work_counts"] = [json.loads(x) for x in (root / "work_counts.jsonl").read_text().splitlines()]
    out["manifest"] = json.loads((root / "manifest.json").read_text())
    return out


def comparable(result: dict) -> dict:
    """The landed content minus timestamps, for comparing two fetches."""
    return {
        "works": sorted(json.dumps(r, sort_keys=True) for r in result["works"]),
        "institutions": sorted(json.dumps(r, sort_keys=True) for r in result["institutions"]),
        "funders": sorted(json.dumps(r, sort_keys=True) for r in result["funders"]),
        "work_counts": sorted((r["scope"], r["publication_year"], r["works_count"], r["query"]) for r in result["work_counts"]),
    }


def short(value) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1].upper()


def countries(rec: dict) -> set[str]:
    return {i["country_code"] for a in rec.get("authorships") or [] for i in a.get("institutions") or [] if i.get("country_code")}


def is_ai(rec: dict, scope: api.StudyScope) -> bool:
    return any(short(c.get("id")) == scope.ai_concept for c in rec.get("concepts") or []) or any(
        short((t.get("subfield") or {}).get("id", "")) == scope.ai_subfield for t in rec.get("topics") or []
    )


def in_scope_ai(rec: dict, scope: api.StudyScope) -> bool:
    return (scope.start_year <= (rec.get("publication_year") or 0) <= scope.end_year and rec.get("language") == scope.language
            and not rec.get("is_retracted") and not rec.get("is_paratext") and is_ai(rec, scope))


def expected_works(dataset, scope) -> dict[str, dict]:
    """Plain Python, independent of the stand-in's filter engine."""
    eu = set(scope.europe)
    return {r["id"]: r for r in dataset.works if in_scope_ai(r, scope) and countries(r) & eu and "CN" in countries(r)}


def expected_counts(dataset, scope) -> dict[tuple[str, int], int]:
    eu = set(scope.europe)
    out = {(s, y): 0 for s, _ in scope.scopes() for y in scope.years}
    for r in dataset.works:
        if not in_scope_ai(r, scope):
            continue
        cc, y = countries(r), r["publication_year"]
        if cc & eu:
            out[("EUROPE", y)] += 1  # once, however many European countries
        if "CN" in cc:
            out[("CN", y)] += 1
        for c in cc & eu:
            out[(c, y)] += 1
    return out


def expected_entities(dataset, works: list[dict]) -> dict[str, tuple[set[str], set[str]]]:
    """entity -> (ids that should land, ids referenced but unknown to the server)."""
    served = {e: {short(r["id"]): r for r in dataset.by_entity(e)} for e in ("institutions", "funders")}
    inst_refs, fund_refs = set(), set()
    for w in works:
        for a in w.get("authorships") or []:
            for i in a.get("institutions") or []:
                inst_refs |= {short(i["id"])} | {short(x) for x in i.get("lineage") or []}
        fund_refs |= {short(g["funder"]) for g in w.get("grants") or [] if g.get("funder")}
        fund_refs |= {short(f["id"]) for f in w.get("funders") or [] if f.get("id")}
        fund_refs |= {short(a["funder_id"]) for a in w.get("awards") or [] if a.get("funder_id")}
    requested, frontier = set(), inst_refs
    while frontier:
        requested |= frontier
        got = [served["institutions"][i] for i in frontier if i in served["institutions"]]
        frontier = {short(x) for r in got for x in r.get("lineage") or []} - requested
    return {
        "institutions": (requested & served["institutions"].keys(), requested - served["institutions"].keys()),
        "funders": (fund_refs & served["funders"].keys(), fund_refs - served["funders"].keys()),
    }


def files_under(path: Path):
    for p in path.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            yield p, (gzip.decompress(data) if p.suffix == ".gz" else data)


@pytest.fixture(scope="module")
def baseline(server, tmp_path_factory):
    """A fault-free fetch of the SMALL scope, the reference the fault and resume tests must reproduce."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("baseline")
    set_warehouse_env(mp, root, OPENALEX_SOURCE="api", OPENALEX_API_KEY=KEY, OPENALEX_API_URL=server.url)
    try:
        server.reset()
        out = api.fetch(load_settings(), ListLog(), scope=SMALL, per_page=25, **FAST)
        result = landed(out.root)
    finally:
        mp.undo()
        server.reset()
    assert len(result["works"]) > 50  # several pages of 25 per query
    return comparable(result)


# --- the tests ------------------------------------------------------------------------------------------

def test_filters_sent_through_pyalex_are_the_documented_ones():
    scope = STUDY
    concept, subfield = scope.works_queries()
    europe = "|".join(scope.europe)
    assert len(scope.europe) == 32 and "GB" in scope.europe and "GR" in scope.europe and "UK" not in scope.europe
    assert concept.filter_string == (
        "concepts.id:C154945302,publication_year:2017-2022,language:en,is_retracted:false,is_paratext:false,"
        f"authorships.institutions.country_code:{europe},authorships.institutions.country_code:CN"
    )
    assert subfield.filter_string.startswith("topics.subfield.id:1702,")
    counts = scope.count_queries()
    assert len(counts) == 3 * (2 + 32)
    europe_both = next(c for c in counts if c.scope == "EUROPE" and c.part == "both")
    assert europe_both.query.filter_string.startswith("concepts.id:C154945302,topics.subfield.id:1702,")
    assert europe_both.query.filter_string.endswith(f"authorships.institutions.country_code:{europe}")


def test_europe_is_the_countries_seed_column_named_by_the_dbt_var(tmp_path):
    import csv

    import yaml

    project = yaml.safe_load((PROJECT_ROOT / "dbt" / "dbt_project.yml").read_text())
    with (PROJECT_ROOT / "seeds" / "countries.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    flagged = lambda column: tuple(sorted(r["iso2"] for r in rows if r[column] == "1"))  # noqa: E731
    assert STUDY.europe == flagged(project["vars"]["europe_definition"])
    # Another definition in the var gives that column's countries (EU27 + GB: no CH, NO, IS, LI).
    (tmp_path / "dbt").mkdir()
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "countries.csv").write_text((PROJECT_ROOT / "seeds" / "countries.csv").read_text())
    project["vars"]["europe_definition"] = "europe_eu27_uk"
    (tmp_path / "dbt" / "dbt_project.yml").write_text(yaml.safe_dump(project))
    narrower = api.StudyScope.from_dbt(tmp_path / "dbt" / "dbt_project.yml")
    assert narrower.europe == flagged("europe_eu27_uk") and len(narrower.europe) == 28 and "CH" not in narrower.europe
    assert narrower.years == STUDY.years
    # A malformed flag is named by file and line.
    lines = (tmp_path / "seeds" / "countries.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("europe_eu27_uk")] = "yes"
    lines[3] = ",".join(cells)
    (tmp_path / "seeds" / "countries.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"countries\.csv line 4: europe_eu27_uk is 'yes'"):
        api.StudyScope.from_dbt(tmp_path / "dbt" / "dbt_project.yml")


def test_the_stand_in_answers_like_openalex(server):
    import requests

    h = {"Authorization": f"Bearer {KEY}"}
    work = next(r for r in server.dataset.works if server.dataset.sources[r["id"]].startswith("real:"))
    assert requests.get(f"{server.url}/works/{short(work['id'])}", headers=h).json() == work
    assert requests.get(f"{server.url}/works/{work['id']}", headers=h).json() == work  # long ids too
    assert requests.get(f"{server.url}/works/W1", headers=h).status_code == 404
    assert requests.get(f"{server.url}/works/{short(work['id'])}").status_code == 401
    assert requests.get(f"{server.url}/works", params={"api_key": KEY, "per-page": 1}).status_code == 200
    by_year = {"filter": "publication_year:2017-2022", "group_by": "publication_year"}
    grouped = requests.get(f"{server.url}/works", headers=h, params=by_year).json()
    assert {g["key"] for g in grouped["group_by"]} == {str(y) for y in range(2017, 2023)}
    assert sum(g["count"] for g in grouped["group_by"]) == grouped["meta"]["count"]
    assert set(grouped["group_by"][0]) == {"key", "key_display_name", "count"}
    second = {"filter": "institutions.country_code:cn|GB", "per-page": 7, "page": 2}
    page = requests.get(f"{server.url}/works", headers=h, params=second).json()
    assert page["meta"]["page"] == 2 and len(page["results"]) == 7
    assert all({"CN", "GB"} & countries(r) for r in page["results"])
    not_en = {"filter": "publication_year:>2016,language:!en", "per-page": 200}
    negated = requests.get(f"{server.url}/works", headers=h, params=not_en).json()
    assert negated["results"] and all(r["publication_year"] > 2016 and r.get("language") != "en" for r in negated["results"])
    for bad in ({"filter": "bogus.field:1"}, {"per-page": 201}, {"filter": "publication_year:abc"}, {"cursor": "nonsense"}):
        answer = requests.get(f"{server.url}/works", headers=h, params=bad)
        assert answer.status_code == 400 and "query parameters" in answer.json()["error"]
    assert requests.get(f"{server.url}/works", headers=h, params={"per-page": 200, "page": 51}).status_code == 400
    institution = server.dataset.institutions[0]
    batch = requests.get(f"{server.url}/institutions", headers=h, params={"filter": f"openalex_id:{short(institution['id'])}|I1"}).json()
    assert batch["results"] == [institution]


def test_full_fetch_equals_the_servers_records_and_counts(server, settings, capsys):
    log = ListLog()
    result = api.fetch(settings, log, per_page=40, progress=True)
    root = result.root
    assert root == settings.raw_dir / "api"
    got = landed(root)
    scope = api.StudyScope.from_dbt()
    want = expected_works(server.dataset, scope)
    ids = [w["id"] for w in got["works"]]
    assert len(ids) == len(set(ids)), "duplicates across the concept and subfield queries"
    assert set(ids) == set(want) and len(want) > 100
    assert all(w == want[w["id"]] for w in got["works"]), "records must be the server's, unchanged"
    # ...and the same as the stand-in's own filter engine selects for the two queries.
    by_server = {r["id"] for q in scope.works_queries() for r in server.matching("works", q.filter_string)}
    assert by_server == set(want)

    # Denominators: one row per scope and year, equal to plain counting; a DE+FR work counts once for Europe.
    counts = {(r["scope"], r["publication_year"]): r["works_count"] for r in got["work_counts"]}
    assert counts == expected_counts(server.dataset, scope)
    assert len(got["work_counts"]) == len(scope.scopes()) * len(scope.years)
    multi = [r for r in server.dataset.works if in_scope_ai(r, scope) and len(countries(r) & set(scope.europe)) > 1]
    assert multi, "the data must hold works with two European countries"
    for y in scope.years:
        assert counts[("EUROPE", y)] < sum(counts[(c, y)] for c in scope.europe)
    assert all(r["query"].startswith("group_by=publication_year; filter=") and r["fetched_at"] for r in got["work_counts"])

    # Entities: every referenced institution (with its lineage) and funder the server knows; the rest listed missing.
    want_entities = expected_entities(server.dataset, got["works"])
    manifest = got["manifest"]
    for entity in ("institutions", "funders"):
        landed_ids = [short(r["id"]) for r in got[entity]]
        assert len(landed_ids) == len(set(landed_ids))
        assert set(landed_ids) == want_entities[entity][0]
        assert set(manifest["fetch"]["entities"][entity]["missing"]) == want_entities[entity][1]
    assert got["funders"], "demo works cite funders"
    batches = server.requests("/institutions")
    assert batches and all("openalex_id:" in r["query"] for r in batches)
    assert max(r["query"].split("openalex_id:")[1].split("&")[0].count("|") + 1 for r in batches) <= 100

    # The manifest lists every file with its true record count, size and sha256, plus the fetch's story.
    entries = manifest["entries"]
    assert {e["url"].split("/")[2] for e in entries} == {"works", "institutions", "funders"}
    for e in entries:
        path = root / e["url"]
        assert e["url"].startswith("data/jsonl/") and "/updated_date=" in e["url"] and path.name.startswith("part_")
        assert e["meta"]["record_count"] == len(read_jsonl_gz(path))
        assert e["meta"]["content_length"] == path.stat().st_size
        assert e["meta"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    fetch = manifest["fetch"]
    assert [q["filter"] for q in fetch["queries"]] == [q.filter_string for q in scope.works_queries()]
    assert all(q["records"] == q["meta_count"] for q in fetch["queries"])
    stats = fetch["stats"]
    assert stats == result.stats
    assert stats["records"] == {"works": len(want), "institutions": len(got["institutions"]), "funders": len(got["funders"])}
    assert stats["works_duplicates_dropped"] == stats["works_fetched"] - len(want) > 0
    assert stats["works_refetched_whole"] == 0 and not server.requests("/works/")  # no work here has > 100 authors
    assert sum(stats["schema_eras"].values()) == len(want) and len(stats["schema_eras"]) >= 3
    assert stats["pages"]["works"] == sum(q["pages"] for q in fetch["queries"]) >= 4
    assert stats["requests"] == len(server.requests()) and stats["bytes_downloaded"] > 0 and stats["duration_s"] > 0
    assert stats["retries"] == 0 and stats["http_statuses"] == {"200": stats["requests"]}

    # Through real HTTP, with the key as a Bearer header (never in a URL) and the email as From.
    log_ = server.requests()
    assert log_ and all(r["bearer"] and not r["api_key_param"] and r["from"] == EMAIL for r in log_)
    assert not pyalex.config.api_key, "the key stays out of pyalex's process-wide config"
    cursor_requests = [r for r in server.requests("/works") if "cursor=" in r["query"]]
    assert len(cursor_requests) == stats["pages"]["works"] + len(fetch["queries"])  # + one empty last page each
    assert all("per-page=40" in r["query"] for r in cursor_requests)
    # Nothing is left behind but the landed files.
    assert sorted(p.name for p in root.iterdir()) == [".lock", "data", "manifest.json", "work_counts.jsonl"]
    assert "works ai_concept" in capsys.readouterr().err  # the tqdm progress bar


def test_the_key_is_required_and_a_wrong_key_fails_fast_and_clean(server, settings, monkeypatch):
    monkeypatch.setenv("OPENALEX_API_KEY", "not-the-key-3a9f")
    log = ListLog()
    started = time.monotonic()
    with pytest.raises(api.ApiAuthError) as info:
        api.fetch(load_settings(), log, scope=SMALL, **FAST)
    assert time.monotonic() - started < 5
    assert "not-the-key-3a9f" not in str(info.value) and "not-the-key-3a9f" not in log.text()
    assert server.requests(status=401) and not server.requests(status=200)
    # Settings without a key (the settings check refuses source=api without one) are refused before any request.
    before = len(server.requests())
    with pytest.raises(api.ApiAuthError, match="OPENALEX_API_KEY is not set"):
        api.fetch(replace(load_settings(), api_key=None), log, **FAST)
    assert len(server.requests()) == before


FAULTS = {
    # kind: (extra Fault args, the retry reason the client records: one retry layer sees every kind)
    "429": ({"retry_after": 1}, "HTTP 429"),
    "500": ({}, "HTTP 500"),
    "503": ({"retry_after": None}, "HTTP 503"),
    "reset": ({}, "ConnectionError"),
    "slow": ({"delay": 1.0}, "ReadTimeout"),  # a stalled server: the read timeout (0.5 s here) fires
    "truncate": ({}, "ChunkedEncodingError"),
    "bad_json": ({}, "non-JSON body"),
}


@pytest.mark.parametrize("kind", list(FAULTS))
def test_each_fault_is_survived_without_loss_or_duplicates(kind, server, settings, baseline):
    extra, reason = FAULTS[kind]
    faults = [
        server.add_fault(kind, path="/works", match="cursor=", skip=1, times=2, **extra),  # page 2, twice in a row
        server.add_fault(kind, path="/works", match="group", skip=3, times=1, **extra),  # a group_by count
        server.add_fault(kind, path="/institutions", times=1, **extra),  # an entity batch
    ]
    log = ListLog()
    started = time.monotonic()
    result = api.fetch(settings, log, scope=SMALL, per_page=25, timeout=(2.0, 0.5), **FAST)
    elapsed = time.monotonic() - started
    assert [f.fired for f in faults] == [2, 1, 1]
    if kind == "429":
        assert elapsed >= 4 * 0.9, "Retry-After: 1 must be honoured on each of the four 429s"
    assert comparable(landed(result.root)) == baseline
    assert result.stats["retries"] == 4 and result.stats["retry_reasons"] == {reason: 4}
    assert result.stats["requests"] == len(server.requests())
    assert log.text().count("retrying") == 4 and reason in log.text()


def test_a_persistent_outage_gives_up_with_a_clear_error_and_the_next_run_resumes(server, settings, baseline):
    server.add_fault("503", path="/works", match="cursor=", skip=2, times=None, retry_after=None)
    log = ListLog()
    with pytest.raises(api.ApiFetchError, match="resumes where it stopped") as info:
        api.fetch(settings, log, scope=SMALL, per_page=25, max_attempts=3, **FAST)
    assert "HTTP 503" in str(info.value) and "gave up" in str(info.value).lower()
    assert len(server.requests("/works", status=503)) == 3, "three attempts in all: one retry layer, not retries of retries"
    assert (settings.raw_dir / "api" / ".checkpoint" / "state.json").is_file()
    assert not (settings.raw_dir / "api" / "manifest.json").exists()
    server.reset()
    result = api.fetch(settings, log, scope=SMALL, per_page=25, **FAST)
    assert comparable(landed(result.root)) == baseline
    assert result.stats["resumed"] is True
    restarted = [r for r in server.requests("/works") if r["query"].startswith("filter=concepts.id") and "cursor=*" in r["query"]]
    assert restarted == [], "the resumed run continues from the saved cursor"


@pytest.mark.parametrize("variant", ["retry_after_until_midnight", "message_only"])
def test_daily_budget_stops_at_once_with_a_clear_error_then_resumes(variant, server, settings, baseline):
    from openalex_standin.server import seconds_to_midnight_utc

    if variant == "message_only":  # no Retry-After, no X-RateLimit-* headers: only the body says so
        kw = {"retry_after": None, "rate_limit_headers": False}
    else:
        kw = {"retry_after": seconds_to_midnight_utc()}
    server.add_fault("budget", path="/works", match="cursor=", skip=2, times=None, **kw)
    log = ListLog()
    started = time.monotonic()
    with pytest.raises(api.BudgetExhausted) as info:
        api.fetch(settings, log, scope=SMALL, per_page=25, **FAST)
    assert time.monotonic() - started < 10, "must not sleep until the budget resets"
    message = str(info.value)
    assert "daily budget exhausted" in message and "resumes where it stopped" in message and KEY not in message
    assert len(server.requests(status=429)) == 1  # stops at the first budget answer: no retry burns more
    state = json.loads((settings.raw_dir / "api" / ".checkpoint" / "state.json").read_text())
    assert state["works"]["ai_concept"]["pages"] == 2
    server.reset()
    root = api.fetch(settings, log, scope=SMALL, per_page=25, **FAST).root
    assert comparable(landed(root)) == baseline
    first_pages = [r for r in server.requests("/works") if r["query"].startswith("filter=concepts.id") and "cursor=*" in r["query"]]
    assert first_pages == [], "the resumed run continues from the saved cursor, it does not start again"


@pytest.mark.parametrize("at", ["page_written", "page_saved", "count_saved"])
def test_an_interrupted_run_resumes_to_the_same_result(at, server, settings, baseline):
    seen = []

    def interrupt(name, info):
        if name == at:
            seen.append(info)
            if len(seen) == 3:
                raise KeyboardInterrupt(f"simulated kill at {name}")

    with pytest.raises(KeyboardInterrupt):
        api.fetch(settings, ListLog(), scope=SMALL, per_page=25, on_event=interrupt, **FAST)
    assert not (settings.raw_dir / "api" / "manifest.json").exists()
    requests_first = len(server.requests())
    result = api.fetch(settings, ListLog(), scope=SMALL, per_page=25, **FAST)
    root, stats = result.root, result.stats
    assert comparable(landed(root)) == baseline
    assert stats["runs"] == 2 and stats["resumed"]
    assert stats["requests"] == len(server.requests())  # both runs counted
    assert not (root / ".checkpoint").exists()
    # The second run did not fetch again what the first had saved.
    second = server.requests()[requests_first:]
    assert not any("cursor=*" in r["query"] and r["query"].startswith("filter=concepts.id") for r in second)


def test_a_saved_cursor_the_api_rejects_restarts_that_query_only(server, settings, baseline):
    def interrupt(name, info):
        if name == "page_saved" and info["query"] == "ai_subfield" and info["page"] == 1:
            raise KeyboardInterrupt("simulated kill")

    with pytest.raises(KeyboardInterrupt):
        api.fetch(settings, ListLog(), scope=SMALL, per_page=25, on_event=interrupt, **FAST)
    state_file = settings.raw_dir / "api" / ".checkpoint" / "state.json"
    state = json.loads(state_file.read_text())
    state["works"]["ai_subfield"]["cursor"] = "eyJleHBpcmVkIjogdHJ1ZX0"  # a cursor the server no longer knows
    state_file.write_text(json.dumps(state))
    log = ListLog()
    root = api.fetch(settings, log, scope=SMALL, per_page=25, **FAST).root
    assert comparable(landed(root)) == baseline
    assert "rejected the saved cursor" in log.text()
    assert len(server.requests("/works", status=400)) == 1
    starts = [r["query"].split(":")[0] for r in server.requests("/works") if "cursor=*" in r["query"]]
    assert starts.count("filter=concepts.id") == 1  # finished in the first run, not fetched again
    assert starts.count("filter=topics.subfield.id") == 2  # restarted from its first page


def test_kill_minus_9_mid_page_then_resume(server, settings, baseline, tmp_path):
    """A real SIGKILL after a page file is written but before its cursor is saved (the worst moment)."""
    code = f"""
import logging, os, signal, sys
from dataclasses import replace
from dagster_project.ingest import openalex_api as api
from dagster_project.settings import load_settings
def hook(name, info):
    if name == "page_written" and info["query"] == "ai_concept" and info["page"] == 2:
        os.kill(os.getpid(), signal.SIGKILL)
api.fetch(load_settings(), logging.getLogger("kill"), scope=replace(api.StudyScope.from_dbt(), europe={SMALL.europe!r}), per_page=25,
          progress=False, on_event=hook)
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=dict(os.environ), capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    ck = settings.raw_dir / "api" / ".checkpoint"
    state = json.loads((ck / "state.json").read_text())
    assert state["works"]["ai_concept"]["pages"] == 2  # page index 2 is on disk but not committed
    assert (ck / "pages" / "works" / "ai_concept" / "page_00002.jsonl.gz").is_file()
    result = api.fetch(settings, ListLog(), scope=SMALL, per_page=25, **FAST)
    assert comparable(landed(result.root)) == baseline
    assert result.stats["runs"] == 2


def test_a_new_fetch_replaces_the_previous_one_whole(server, settings):
    first = api.fetch(settings, ListLog(), scope=replace(STUDY, europe=("DE", "GB")), per_page=50, **FAST).root
    before = landed(first)
    # A fetch that dies after staging everything but before the swap leaves the previous files intact...
    def die(name, info):
        if name == "staged":
            raise KeyboardInterrupt("killed before the swap")

    with pytest.raises(KeyboardInterrupt):
        api.fetch(settings, ListLog(), scope=SMALL, per_page=50, on_event=die, **FAST)
    assert comparable(landed(first)) == comparable(before)
    # ...and the next run rolls that commit forward, then fetches afresh; nothing stale survives.
    root = api.fetch(settings, ListLog(), scope=SMALL, per_page=50, **FAST).root
    after = landed(root)
    eu = set(SMALL.europe)
    assert {w["id"] for w in after["works"]} == set(expected_works(server.dataset, SMALL))
    assert all(countries(w) & eu for w in after["works"])
    assert {r["scope"] for r in after["work_counts"]} == {"EUROPE", "CN", *SMALL.europe}
    listed = {e["url"] for e in after["manifest"]["entries"]}
    on_disk = {p.relative_to(root).as_posix() for p in (root / "data").rglob("*.gz")}
    assert listed == on_disk
    assert not any((root / name).exists() for name in (".staging", ".previous", ".checkpoint"))


def test_the_key_never_appears_in_files_logs_or_errors(server, settings, capsys, caplog):
    server.add_fault("truncate", path="/works", match="cursor=", skip=1, times=1)
    server.add_fault("500", path="/funders", times=1)
    log = ListLog()
    caplog.set_level("DEBUG")  # the client and urllib3 log URLs at debug level
    result = api.fetch(settings, log, scope=SMALL, per_page=25, timeout=(2.0, 0.5), **dict(FAST, progress=True))
    root = result.root
    server.add_fault("budget", path="/works", times=None)
    with pytest.raises(api.BudgetExhausted) as info:
        api.fetch(settings, log, scope=SMALL, per_page=25, **FAST)
    captured = capsys.readouterr()
    texts = {"log": log.text(), "error": str(info.value), "stderr": captured.err, "stdout": captured.out,
             "logging": caplog.text, "stats": json.dumps(result.stats)}
    assert "retrying" in texts["log"] and f"GET {server.url}/works?filter=" in texts["logging"]
    for name, text in texts.items():
        assert KEY not in text, f"the API key leaked into {name}"
    scanned = 0
    for path, data in files_under(settings.raw_dir):
        assert KEY.encode() not in data, f"the API key leaked into {path}"
        scanned += 1
    assert scanned >= 5 and (root / "manifest.json").is_file()
    assert "Authorization" not in (root / "manifest.json").read_text()
