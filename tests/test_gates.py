"""Each layer's gate, shown firing on a planted defect: the defect is reported and nothing downstream runs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.demo_data.snapshot import generate_snapshot
from tests.conftest import set_warehouse_env

N_WORKS = 1000


def _snapshot(tmp_path: Path) -> Path:
    root = tmp_path / "snapshot"
    generate_snapshot(root, N_WORKS, seed=11)
    return root


def _rewrite_part(root: Path, entity: str, edit, newest: bool = False) -> Path:
    """Apply `edit(lines) -> lines` to the first (or newest) part file of an entity; keep the manifest's count honest."""
    part = sorted((root / "data" / "jsonl" / entity).glob("*/part_*.gz"))[-1 if newest else 0]
    lines = gzip.open(part, "rt").read().splitlines()
    lines = edit(lines)
    with gzip.open(part, "wt") as out:
        out.write("\n".join(lines) + "\n")
    manifest = json.loads((root / "manifest.json").read_text())
    for entry in manifest["entries"]:
        if part.as_posix().endswith(entry["url"]):
            entry["meta"]["record_count"] = len(lines)
    (root / "manifest.json").write_text(json.dumps(manifest))
    return part


def _run(monkeypatch, tmp_path: Path, root: Path, **env: str):
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(root), **env)
    from dagster_project.definitions import defs

    result = defs.resolve_job_def("update_warehouse").execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    for event in result.all_events:  # shown by pytest only when a test fails
        if event.event_type_value == "STEP_FAILURE":
            print(event.step_key, str(event.event_specific_data.error)[:2000])
    return result


def _checks(result) -> dict[str, object]:
    return {f"{c.asset_key.to_user_string()}:{c.check_name}": c for c in result.get_asset_check_evaluations()}


def _materialised(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """One run on a snapshot with two planted defects, each caught by its own layer: three bad raw lines (few
    enough to be quarantined while the run goes on) and denominators that undercount (a share above one in the
    marts, which stops publication)."""
    tmp_path = tmp_path_factory.mktemp("planted_run")
    root = _snapshot(tmp_path)
    bad = [
        '{"id": "https://openalex.org/W1", "publication_year": 2020,',  # truncated
        '{"display_name": "a work without an id", "publication_year": 2020}',
        '{"id": "https://openalex.org/W2", "publication_year": 2020, "authorships": "not a list"}',
    ]
    part = _rewrite_part(root, "works", lambda lines: lines[:10] + bad + lines[10:])
    # Denominators that undercount (as a stale API group_by could): Europe's 2019 output, and each of its
    # countries', of 1 work. Consistent among themselves, they pass the source's own tests and reach the marts.
    (root / "work_counts.jsonl").write_text(
        "\n".join(
            json.dumps({"scope": scope, "publication_year": year, "works_count": 1 if year == 2019 and scope != "CN" else 10_000,
                        "query": "planted", "fetched_at": "2026-01-01T00:00:00"})
            for scope in ("EUROPE", "CN", "GB", "DE", "FR")
            for year in range(2017, 2023)
        ) + "\n"
    )
    mp = pytest.MonkeyPatch()
    try:
        result = _run(mp, tmp_path, root, RAW_QUARANTINE_MAX_SHARE="0.01")
    finally:
        mp.undo()
    return {"result": result, "root": tmp_path, "part": part}


@pytest.mark.slow
def test_bad_raw_lines_are_quarantined_with_file_line_and_reason_and_the_run_goes_on(planted_run):
    result, tmp_path, part = planted_run["result"], planted_run["root"], planted_run["part"]
    checks = _checks(result)
    quarantine = checks["openalex/works:quarantine"]
    assert not quarantine.passed and quarantine.severity == dg.AssetCheckSeverity.WARN
    assert checks["openalex/works:reconciliation"].passed
    build = tmp_path / "warehouse" / "build" / "openalex.duckdb"  # the build file keeps the raw layer
    with duckdb.connect(str(build), read_only=True) as con:
        rows = con.execute("select file, line, reason from raw.quarantine order by line").fetchall()
        records, loaded, outside, quarantined = con.execute(
            "select sum(records), sum(loaded), sum(outside_universe), sum(quarantined) from raw.load_log where entity = 'works'"
        ).fetchone()
    assert [(Path(f).name, line) for f, line, _ in rows] == [(part.name, 11), (part.name, 12), (part.name, 13)]
    assert "malformed JSON" in rows[0][2]
    assert "id" in rows[1][2]
    assert "does not fit the raw schema" in rows[2][2]
    assert records == loaded + outside + quarantined and quarantined == 3
    qfile = tmp_path / "raw" / "snapshot" / "quarantine" / "works.jsonl"
    assert [json.loads(x)["line"] for x in qfile.read_text().splitlines()] == [11, 12, 13]
    assert "marts/headline_figures" in _materialised(result)  # the run went on to the marts


@pytest.mark.slow
def test_too_many_bad_raw_lines_stop_the_run_at_the_raw_layer(monkeypatch, tmp_path):
    root = _snapshot(tmp_path)
    _rewrite_part(root, "works", lambda lines: [line if i % 20 else line[:-5] for i, line in enumerate(lines)])
    result = _run(monkeypatch, tmp_path, root)
    check = _checks(result)["openalex/works:quarantine"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    done = _materialised(result)
    assert "openalex/works" in done
    assert not any(k.startswith(("staging/", "marts/", "warehouse/")) for k in done)
    assert not (tmp_path / "warehouse" / "openalex.duckdb").exists()


@pytest.mark.slow
def test_an_institution_with_an_unknown_country_code_stops_the_run(monkeypatch, tmp_path):
    root = _snapshot(tmp_path)

    def plant(lines):
        rec = json.loads(lines[0])
        rec["country_code"] = "UK"  # not ISO 3166: OpenAlex writes GB
        return [json.dumps(rec)] + lines[1:]

    _rewrite_part(root, "institutions", plant)
    result = _run(monkeypatch, tmp_path, root)
    check = _checks(result)["openalex/institutions:contract"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["unexpected"].value == {"country_code:in_set": 1}
    # The failure names the rule, its count and the failing record.
    assert check.metadata["failing_samples"].value["country_code:in_set"][0]["country_code"] == "UK"
    assert "country_code:in_set fails on 1 row(s)" in check.description
    assert Path(check.metadata["ge_result"].value).exists()
    assert not any(k.startswith(("staging/", "marts/", "warehouse/")) for k in _materialised(result))


@pytest.mark.slow
def test_an_unknown_country_code_on_a_work_stops_the_marts_at_staging(monkeypatch, tmp_path):
    root = _snapshot(tmp_path)

    def plant(lines):
        for i, line in enumerate(lines):
            rec = json.loads(line)
            for authorship in rec["authorships"]:
                for inst in authorship["institutions"]:
                    if inst["country_code"] == "GB":
                        inst["country_code"] = "UK"
                        lines[i] = json.dumps(rec)
                        return lines
        raise AssertionError("no GB institution to corrupt")

    _rewrite_part(root, "works", plant, newest=True)  # the oldest partition's versions are superseded
    result = _run(monkeypatch, tmp_path, root)
    # The staging rule is a dbt test: the one `dbt build` of the run fails it and skips everything downstream.
    check = _checks(result)["staging/stg_openalex__authorship_institutions:stg_openalex__authorship_institutions_country_code_is_iso_3166"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["dagster_dbt/failed_row_count"].value == 1
    table = check.metadata["failing_rows_table"].value
    with duckdb.connect(str(tmp_path / "warehouse" / "build" / "openalex.duckdb"), read_only=True) as con:
        assert con.execute(f"select * from {table}").fetchall() == [("UK",)]
    done = _materialised(result)
    assert "staging/stg_openalex__authorship_institutions" in done
    assert not done & {"intermediate/int_work_countries_aggregated", "marts/fct_eu_cn_works", "marts/headline_figures",
                       "warehouse/published"}
    dbt_steps = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in dbt_steps] == ["dbt_build"]


@pytest.mark.slow
def test_a_share_above_one_stops_publication_and_keeps_the_failing_rows(planted_run):
    result, tmp_path = planted_run["result"], planted_run["root"]
    check = _checks(result)["marts/headline_figures:assert_shares_within_unit_interval"]
    assert not check.passed
    done = _materialised(result)
    assert "marts/headline_figures" in done
    assert "warehouse/published" not in done
    assert not (tmp_path / "warehouse" / "openalex.duckdb").exists()
    with duckdb.connect(str(tmp_path / "warehouse" / "build" / "openalex.duckdb"), read_only=True) as con:
        rows = con.execute('select metric, scope, period, value from test_failures."assert_shares_within_unit_interval"').fetchall()
    assert ("europe_share_with_cn", "EUROPE", "2019") in {r[:3] for r in rows}
    assert all(r[3] > 1 for r in rows if r[0] == "europe_share_with_cn")


def test_a_contract_validates_only_rows_newer_than_its_last_pass_and_keeps_failing_until_fixed(tmp_path):
    from dagster_project.checks.contract import Rule
    from dagster_project.checks.ge_validation import failure_text, validate_table

    rules = [Rule("country_code", "in_set", "error", values=("CN", "DE", "GB"))]
    results = tmp_path / "validations"
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute("create schema raw")
        con.execute("create table raw.rows (id integer, country_code varchar, _loaded_at timestamp)")
        con.execute("insert into raw.rows select i, 'DE', timestamp '2026-01-01' from range(100) t(i)")
        first = validate_table(con, "raw.rows", rules, results, "run1")
        assert first.passed and first.rows == 100 and first.since is None

        con.execute("insert into raw.rows values (100, 'CN', timestamp '2026-02-01'), (101, 'UK', timestamp '2026-02-01')")
        second = validate_table(con, "raw.rows", rules, results, "run2")
        assert not second.passed and second.rows == 2 and second.unexpected == {"country_code:in_set": 1}
        # The failure names its rule, its count and the failing row (by id).
        assert second.samples == {"country_code:in_set": [{"country_code": "UK", "id": "101"}]}
        assert "country_code:in_set fails on 1 row(s)" in failure_text(second) and '"101"' in failure_text(second)
        assert second.since == "2026-01-01 00:00:00"
        # A failed validation does not move the mark: the bad row is judged again in every run until it is gone.
        third = validate_table(con, "raw.rows", rules, results, "run3")
        assert not third.passed and third.rows == 2

        con.execute("delete from raw.rows where country_code = 'UK'")
        assert validate_table(con, "raw.rows", rules, results, "run4").passed
        assert validate_table(con, "raw.rows", rules, results, "run5").rows == 0
        # New rules: every row again.
        stricter = [Rule("country_code", "in_set", "error", values=("DE",))]
        again = validate_table(con, "raw.rows", stricter, results, "run6")
        assert again.rows == 101 and again.unexpected == {"country_code:in_set": 1}


def test_a_seed_check_fails_when_one_of_its_dbt_tests_fails_and_names_it():
    from dagster_project.assets.dbt import _seed_check_summaries
    from dagster_project.resources import dbt_manifest

    manifest = dbt_manifest()
    on_countries = sorted(uid for uid, n in manifest["nodes"].items()
                          if n["resource_type"] == "test" and n.get("attached_node") == "seed.eu_cn_ai.countries")[:2]
    assert len(on_countries) == 2
    passed, failed = on_countries
    [summary] = _seed_check_summaries({passed: "pass", failed: "fail"}, manifest, {failed: 'test_failures."x"'})
    assert summary.asset_key == dg.AssetKey(["reference", "countries"])
    assert not summary.passed and summary.severity == dg.AssetCheckSeverity.ERROR
    name = manifest["nodes"][failed]["name"]
    assert summary.description == f"1 of 2 dbt tests passed; failed: {name} (fail)"
    assert summary.metadata["failing_rows_tables"].value == 'test_failures."x"'
