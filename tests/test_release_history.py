"""Releases in a row: the session's demo release, then the demo's second release (DEMO_RELEASE=2: TU Munich gains a
PLA partner, a work is retracted), then the same input again (the session's `releases` runs, tests/conftest.py).
What marts.release_changes and the watchlist's alerts say is compared with the planted truth of both snapshots,
worked out from the records (tests/planted); the alerts' webhook is a local HTTP receiver that fails its first
request."""

from __future__ import annotations

import json
import math
import re

import duckdb
import pytest

from dagster_project.demo_data.affiliations import short_id
from dagster_project.demo_data.generator import TUM_ROR
from tests.release_runs import SECRET

pytestmark = pytest.mark.slow  # two whole runs of the update job


def _level(tags: list[str]) -> str:
    return next((t for t in ("pla", "defence_linked", "security_linked") if t in tags), "listed" if tags else "none")


def test_both_runs_publish_and_the_history_lists_every_release(releases):
    assert all(r["result"].success for r in releases["runs"])
    first, second, third = releases["first"], *(r["published"] for r in releases["runs"])
    assert [c["change_kind"] for c in first["changes"]] == ["first_release"]
    assert len(first["releases"]) == 1
    assert second["releases"][:1] == first["releases"]
    assert len(second["releases"]) == 2
    with duckdb.connect(str(releases["root"] / "warehouse" / "openalex.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from history.institution_partners_history "
                           "where institution_id = 'I-never-published'").fetchone()[0] == 0
    assert third["releases"][:2] == second["releases"]
    assert len(third["releases"]) == 3


def test_the_second_release_changes_exactly_the_planted_partners_and_works(releases):
    before = releases["truth_before"]["institutions"]["institutions"]
    after = releases["truth_after"]["institutions"]["institutions"]
    pairs_before = {(eu, cn): v for eu, p in before.items() for cn, v in p["partners"].items()}
    pairs_after = {(eu, cn): v for eu, p in after.items() for cn, v in p["partners"].items()}
    want = {("new_partner", eu, cn, None, _level(v["tags"])) for (eu, cn), v in pairs_after.items() if (eu, cn) not in pairs_before}
    want |= {("partner_gone", eu, cn, _level(v["tags"]), None) for (eu, cn), v in pairs_before.items() if (eu, cn) not in pairs_after}
    kept = {pair: (_level(v["tags"]), _level(pairs_after[pair]["tags"])) for pair, v in pairs_before.items() if pair in pairs_after}
    want |= {("partner_risk_level_changed", eu, cn, old, new) for (eu, cn), (old, new) in kept.items() if old != new}
    changes = releases["runs"][0]["published"]["changes"]
    got = {(c["change_kind"], c["institution_id"], c["partner_institution_id"], c["old_risk_level"], c["new_risk_level"])
           for c in changes if c["change_kind"] in ("new_partner", "partner_gone", "partner_risk_level_changed")}
    assert got == want
    for kind, planted in (("new_pla_works", "pla_works"), ("new_defence_linked_works", "defence_linked_works")):
        want_works = {eu: sorted(set(p[planted]) - set(before.get(eu, {}).get(planted, []))) for eu, p in after.items()}
        want_works = {eu: works for eu, works in want_works.items() if works}
        got_works = {c["institution_id"]: sorted(c["work_ids"]) for c in changes if c["change_kind"] == kind}
        assert got_works == want_works, kind
        assert all(c["works"] == len(c["work_ids"]) for c in changes if c["change_kind"] == kind)
    # The planted story: TU Munich gains a PLA partner, and the retraction takes a pair away.
    tum = next(eu for eu, p in after.items() if p["institution_ror"] == short_id(TUM_ROR))
    assert ("new_partner", tum) in {(k, eu) for k, eu, *_ in want if _[-1] == "pla"}
    assert any(k == "partner_gone" for k, *_ in want)


def test_the_second_release_moves_exactly_the_figures_the_planted_truth_moves(releases):
    before, after = releases["truth_before"]["figures"], releases["truth_after"]["figures"]

    def differs(a, b) -> bool:
        return (a is None) != (b is None) or (a is not None and not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))

    want = {k for k in after if differs(before.get(k), after[k])}
    changes = releases["runs"][0]["published"]["changes"]
    got = {f"{c['metric']}|{c['scope']}|{c['period']}": c for c in changes if c["change_kind"] == "figure_changed"}
    assert set(got) & set(after) == want
    assert set(got) - set(after) == set(), "a moved figure the planted truth does not know"
    for key in want:
        assert math.isclose(got[key]["old_value"], before[key], rel_tol=1e-9), key
        assert math.isclose(got[key]["new_value"], after[key], rel_tol=1e-9), key
        assert math.isclose(got[key]["value_change"], after[key] - before[key], rel_tol=1e-9, abs_tol=1e-12), key
    assert "eu_cn_works|EUROPE|2017-2022" in want  # the retracted work


def test_the_same_input_again_changes_nothing_and_alerts_nobody(releases):
    third = releases["runs"][1]
    assert third["published"]["changes"] == []
    release = third["published"]["releases"][-1]
    assert not (releases["root"] / "warehouse" / "alerts" / f"{release}.jsonl").exists()
    assert third["posts"] == releases["runs"][0]["posts"]  # nothing posted


def test_the_watched_institution_is_alerted_exactly_once_with_its_note_and_the_check_warns(releases):
    second = releases["runs"][0]
    release = second["published"]["releases"][-1]
    path = releases["root"] / "warehouse" / "alerts" / f"{release}.jsonl"
    alerts = [json.loads(line) for line in path.read_text().splitlines()]
    tum = short_id(TUM_ROR)
    expected = sorted((c["change_kind"], c["partner_institution_id"]) for c in second["published"]["changes"]
                      if c["institution_ror"] == tum)
    assert sorted((a["change_kind"], a["partner_institution_id"]) for a in alerts) == expected
    assert {a["note"] for a in alerts} == {"watched by the test"}
    assert {a["release_id"] for a in alerts} == {release}
    assert any(a["change_kind"] == "new_partner" and a["new_risk_level"] == "pla" for a in alerts)
    evaluations = second["result"].get_asset_check_evaluations()
    check = next(e for e in evaluations if e.check_name == "no_watched_institution_gains_a_defence_linked_partner")
    assert not check.passed
    assert check.severity.value == "WARN"
    third_checks = releases["runs"][1]["result"].get_asset_check_evaluations()
    assert next(e for e in third_checks if e.check_name == check.check_name).passed


def test_the_webhook_gets_the_alerts_after_a_failed_try_and_its_url_is_never_logged(releases):
    release = releases["runs"][0]["published"]["releases"][-1]
    path = releases["root"] / "warehouse" / "alerts" / f"{release}.jsonl"
    assert releases["posts"] == [{"release_id": release, "alerts": [json.loads(line) for line in path.read_text().splitlines()]}]
    for run in releases["runs"]:
        assert SECRET not in run["logs"]
    stored = [p for p in releases["root"].rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json", ".log", ".yaml", ".txt")]
    assert not [p for p in stored if SECRET in p.read_text(errors="replace")]


def test_make_profile_shows_what_the_release_changed_for_the_institution(releases):
    second, third = (run["tum_profile"] for run in releases["runs"])
    changes = [c for c in releases["runs"][0]["published"]["changes"] if c["institution_ror"] == short_id(TUM_ROR)]
    new_partner = next(c for c in changes if c["change_kind"] == "new_partner")
    previous = releases["runs"][0]["published"]["releases"][-2]
    assert f"Since the last release ({previous}): {len(changes)} changes" in second
    assert f"new partner: {new_partner['partner_name']} [{new_partner['partner_institution_id']}], PLA" in " ".join(second.split())
    assert "Since the last release: no change" in third


def test_the_release_example_queries_answer_what_changed_and_when(releases):
    second = releases["runs"][0]
    first_id, second_id = second["published"]["releases"]
    changes = [c for c in second["published"]["changes"] if c["change_kind"] != "figure_changed"]
    listed = second["queries"]["20_changes_since_the_last_release"]
    assert sorted((r["change_kind"], r["institution_name"], r["partner_name"]) for r in listed) == \
        sorted((c["change_kind"], c["institution_name"], c["partner_name"]) for c in changes)
    history = second["queries"]["21_partner_history_of_an_institution"]
    gained = {c["partner_institution_id"] for c in changes
              if c["change_kind"] == "new_partner" and c["institution_ror"] == short_id(TUM_ROR)}
    assert gained
    for row in history:  # TU Munich's partners: the gained one from the second release on, the others since the first
        assert row["first_release_id"] == (second_id if row["partner_institution_id"] in gained else first_id)
        assert row["replaced_in_release_id"] is None
    before = releases["truth_before"]["institutions"]["institutions"]
    tum = next(eu for eu, p in before.items() if p["institution_ror"] == short_id(TUM_ROR))
    assert {r["partner_institution_id"] for r in history} == set(before[tum]["partners"]) | gained


def test_the_reports_page_lists_what_each_release_changed(releases):
    assert 'id="first-release"' in releases["first_page"]
    second, third = releases["runs"]
    page, changes = second["changes_page"], second["published"]["changes"]
    rows = re.findall(r'<tr data-kind="(\w+)" data-institution="(\w+)" data-partner="(\w*)">', page)
    assert sorted(rows) == sorted((c["change_kind"], c["institution_id"], c["partner_institution_id"] or "")
                                  for c in changes if c["change_kind"] not in ("figure_changed", "first_release"))
    figures = set(re.findall(r'<tr data-metric="(\w+)" data-scope="([\w-]+)" data-period="([\w-]+)">', page))
    assert figures == {(c["metric"], c["scope"], c["period"]) for c in changes if c["change_kind"] == "figure_changed"}
    assert 'id="no-institution-changes"' in third["changes_page"]
    assert 'id="no-figure-changes"' in third["changes_page"]
