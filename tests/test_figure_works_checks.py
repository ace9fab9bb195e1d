"""The dbt tests on the works behind the figures fail when the bridge is wrong, shown on a copy of the session's demo
build file with one defect planted each (a work dropped from a figure, a work added to a figure it is not in, a
share's part that no longer divides into it), and each shows in Dagster as an asset check of its mart."""

from __future__ import annotations

import json

import duckdb

from tests.conftest import copy_demo_run, dbt_build_path, run_dbt

FIGURE_WORKS_TEST = "assert_figure_works_reproduce_figures"
SHARES_TEST = "assert_shares_equal_their_parts"


def test_the_bridge_s_tests_are_asset_checks_of_its_marts():
    from dagster_project.definitions import defs

    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert ("marts/figure_works", FIGURE_WORKS_TEST) in checks
    assert ("marts/figure_parts", SHARES_TEST) in checks


def _failures(build) -> dict[str, int]:
    invocation, _ = run_dbt(build, "test", "--select", f"{FIGURE_WORKS_TEST} {SHARES_TEST}", "--store-failures")
    results = json.loads((invocation.target_path / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r["failures"] for r in results if r["unique_id"].startswith("test.")}


def test_the_bridge_s_tests_pass_on_the_run_and_fail_on_each_planted_defect(demo_run, tmp_path, monkeypatch):
    assert demo_run["result"].success, "the demo run failed"
    copy_demo_run(demo_run, tmp_path)
    build = dbt_build_path(monkeypatch, tmp_path)
    assert _failures(build) == {FIGURE_WORKS_TEST: 0, SHARES_TEST: 0}

    with duckdb.connect(str(build)) as con:
        # One PLA work dropped from the span's PLA figure; one work added to a year it was not published in.
        dropped = con.execute("select work_id from marts.figure_works where metric = 'eu_cn_works_with_pla' "
                              "and period like '%-%' order by work_id limit 1").fetchone()[0]
        con.execute("delete from marts.figure_works where metric = 'eu_cn_works_with_pla' and period like '%-%' "
                    "and work_id = ?", [dropped])
        con.execute("insert into marts.figure_works by name select * replace ('2017' as period) from marts.figure_works "
                    "where metric = 'eu_cn_works' and period = '2018' order by work_id limit 1")
        # A share whose numerator no longer divides into it.
        con.execute("update marts.figure_parts set part_value = part_value + 1 where metric = 'eu_cn_share_with_pla' "
                    "and part = 'numerator' and period like '%-%'")
    assert _failures(build) == {FIGURE_WORKS_TEST: 2, SHARES_TEST: 1}
    with duckdb.connect(str(build), read_only=True) as con:
        failing = con.execute(f"select metric, period, figure_value, works_in_figure_works "
                              f"from test_failures.{FIGURE_WORKS_TEST} order by period").fetchall()
        shares = con.execute(f"select metric from test_failures.{SHARES_TEST}").fetchall()
    span_pla = [r for r in failing if r[0] == "eu_cn_works_with_pla"]
    assert len(span_pla) == 1
    assert span_pla[0][3] == span_pla[0][2] - 1
    assert [(r[0], r[1]) for r in failing if r[0] == "eu_cn_works"] == [("eu_cn_works", "2017")]
    assert shares == [("eu_cn_share_with_pla",)]
