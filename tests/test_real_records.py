"""Every real OpenAlex record of the samples (tests/fixtures/openalex/samples: works, institutions and funders
of every schema era, API responses and snapshot lines) goes through the whole full_refresh job as a snapshot:
the run publishes, and every record read is accounted for as loaded, outside the study's universe, or
quarantined with a reason. Records without updated_date (2025-11 snapshot lines, `select=` responses) take
their partition's date.

No real record is a Europe–China AI work of the study's years (see the fixtures' PROVENANCE.md), and the publish
guard rightly refuses a warehouse without one: one partition of the demo generator's synthetic works fills that
slice, as it does for the API stand-in.

The run is `make run`'s entry point in two processes started together on a new Dagster home: one builds and
publishes, the other is refused at once naming it, and the instance and the dbt parse stay sound."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.demo_data.generator import generate_records
from dagster_project.demo_data.snapshot import write_jsonl_gz
from tests.conftest import pinned, set_warehouse_env

pytestmark = pytest.mark.slow  # a whole job run

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "openalex" / "samples"
ENTITIES = ("works", "institutions", "funders")
SYNTHETIC_WORKS = 300


def build_snapshot(root: Path) -> dict[str, int]:
    """Lay every sample file out as an OpenAlex snapshot part under the partition its name gives
    (`<entity>__<origin>__<date>.jsonl.gz` -> data/jsonl/<entity>/updated_date=<date>/part_NNNN.gz).
    Returns the records (non-empty lines) per entity."""
    lines = dict.fromkeys(ENTITIES, 0)
    for path in sorted(SAMPLES.glob("*.jsonl.gz")):
        entity, _, date = path.name.removesuffix(".jsonl.gz").split("__")
        part_dir = root / "data" / "jsonl" / entity / f"updated_date={date}"
        part_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, part_dir / f"part_{len(list(part_dir.iterdir())):04d}.gz")
        with gzip.open(path, "rb") as fh:
            lines[entity] += sum(1 for line in fh.read().split(b"\n") if line.strip())
    synthetic, _ = generate_records(SYNTHETIC_WORKS, seed=17)
    lines["works"] += write_jsonl_gz(root / "data" / "jsonl" / "works" / "updated_date=2026-06-01" / "part_0000.gz", synthetic)
    return lines


EXIT_BUSY = 75  # run.py's exit status when another run holds the warehouse


class FinishedRun:
    """What a finished run left in the Dagster instance: its status and its events, read back as the UI reads them."""

    def __init__(self, dagster_home: Path):
        instance = dg.DagsterInstance.from_config(str(dagster_home))
        try:
            self.runs = instance.get_runs()
            self.success = [r.status for r in self.runs] == [dg.DagsterRunStatus.SUCCESS]
            self.all_events = [e.dagster_event for r in self.runs for e in instance.all_logs(r.run_id) if e.dagster_event]
        finally:
            instance.dispose()


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("real_records")
    lines = build_snapshot(root / "snapshot")
    set_warehouse_env(mp, root, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(root / "snapshot"))
    from dagster_project.settings import PROJECT_ROOT, load_settings

    # A Dagster home no process has opened yet: the two runs race to create it.
    env = {**os.environ, "DAGSTER_HOME": str(root / "new_dagster_home")}
    runs = [subprocess.Popen([sys.executable, "-m", "dagster_project.run"], cwd=PROJECT_ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=900) for run in runs]
    yield {"result": FinishedRun(root / "new_dagster_home"), "lines": lines, "settings": pinned(load_settings(), root),
           "exits": [(run.returncode, out, err) for run, (out, err) in zip(runs, outputs, strict=True)], "root": root}
    mp.undo()


def test_two_runs_at_once_on_a_new_dagster_home_one_runs_the_other_is_refused_and_nothing_breaks(real_run):
    """One builds and publishes, the other stops at once naming it; one run in the instance's history, one log."""
    exits = sorted(real_run["exits"])
    assert [code for code, _, _ in exits] == [0, EXIT_BUSY], exits
    (_, winner_out, _), (_, _, loser_err) = exits
    assert len(loser_err.strip().splitlines()) == 1 and "is being written by another run" in loser_err
    assert "Release " in winner_out and " is live." in winner_out
    logs = real_run["root"] / "warehouse" / "logs"
    assert len([p for p in logs.iterdir() if p.suffix == ".log"]) == 1  # the winner's alone
    assert len(real_run["result"].runs) == 1
    from dagster_project.resources import dbt_project

    assert json.loads(Path(dbt_project.manifest_path).read_text())["nodes"]


def test_every_real_record_goes_through_the_whole_job_and_it_publishes(real_run):
    result = real_run["result"]
    failed = [e.message for e in result.all_events if e.is_failure]
    assert result.success, failed[:3]
    failed_checks = [e.asset_check_evaluation_data for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
                     and not e.asset_check_evaluation_data.passed and e.asset_check_evaluation_data.severity == dg.AssetCheckSeverity.ERROR]
    assert not failed_checks, [(c.asset_key, c.check_name) for c in failed_checks]
    assert real_run["settings"].warehouse_path.is_file()
    with duckdb.connect(str(real_run["settings"].warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from marts.headline_figures").fetchone()[0] > 0


def test_each_real_record_is_loaded_outside_the_universe_or_quarantined_with_a_reason(real_run):
    assert real_run["result"].success
    with duckdb.connect(str(real_run["settings"].build_path), read_only=True) as con:
        for entity in ENTITIES:
            records, loaded, outside, quarantined = con.execute(
                """select sum(records), sum(loaded), sum(outside_universe), sum(quarantined) from raw.load_log
                   where entity = ?""", [entity]).fetchone()
            assert records == real_run["lines"][entity], entity
            assert records == loaded + outside + quarantined, entity
            assert con.execute(f"select count(*) from raw.{entity}").fetchone()[0] == loaded, entity
            assert con.execute("select count(*) from raw.quarantine where entity = ? and coalesce(reason, '') = ''",
                               [entity]).fetchone()[0] == 0
        versions = con.execute("select count(*), count(*) filter (where in_universe) from raw.work_versions").fetchone()
        works = con.execute("select sum(loaded), sum(outside_universe) from raw.load_log where entity = 'works'").fetchone()
        assert versions == (works[0] + works[1], works[0])
        # Real records carry the AI concept of every era, in and out of the study's years: both sides are non-empty.
        assert works[0] > 0 and works[1] > 0


def test_records_without_updated_date_take_their_partitions_date_and_say_so(real_run):
    assert real_run["result"].success
    with duckdb.connect(str(real_run["settings"].build_path), read_only=True) as con:
        derived = con.execute(
            """select _partition, updated_date from raw.work_versions where _updated_date_derived order by all"""
        ).fetchall()
        assert con.execute("select count(*) from raw.work_versions where updated_date is null").fetchone()[0] == 0
        assert con.execute("select count(*) from raw.works where updated_date is null").fetchone()[0] == 0
    # the 2025-11-11 Walden snapshot lines (10) and the select= responses (162) have none of their own
    assert sum(1 for part, _ in derived if part == "2025-11-11") == 10
    assert len(derived) == 172
    assert all(updated == part for part, updated in derived)


def test_each_ai_definition_keeps_the_in_scope_real_works_python_finds(real_run):
    """The concept-score AI definitions on every real record: staging keeps, per definition (the AI concept at any
    score, above 0, at least var ai_concept_min_score; an AI topic; their combinations), exactly the in-scope works
    plain Python finds in the samples (tests/test_concept_scores_real_records.py)."""
    from tests.test_concept_scores_real_records import STAGING_RULES, expected_work_ids, latest_works, staged_work_ids

    assert real_run["result"].success
    want = expected_work_ids()
    with duckdb.connect(str(real_run["settings"].build_path), read_only=True) as con:
        got = staged_work_ids(con, set(latest_works()))
    for name in STAGING_RULES:
        assert got[name] == want[name], (name, sorted(got[name] - want[name]), sorted(want[name] - got[name]))
    assert want["concept_score_at_least_min"] < want["concept_score_above_0"] < want["concept_any_score"]
