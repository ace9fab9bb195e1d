"""`make run`'s terminal lines (run_logging.StepProgress), fed the events of the session's real runs: what the raw
step read, said as such, and a long step never silent."""

from __future__ import annotations

import io
import logging
import re

import pytest

from dagster_project import run_logging
from dagster_project.run_logging import StepProgress

pytestmark = pytest.mark.slow  # reads the session's runs


def _lines(result, heartbeat_s: float | None = None) -> list[str]:
    """The lines StepProgress prints for a finished run's events, in order, without their clock."""
    out = io.StringIO()
    progress = StepProgress(out)
    if heartbeat_s is not None:
        progress.heartbeat_s = heartbeat_s
    for event in result.all_events:
        record = logging.LogRecord("run", logging.DEBUG, __file__, 0, event.message or "", None, None)
        record.dagster_meta = {"dagster_event": event}
        progress.emit(record)
    return [line[10:] for line in out.getvalue().splitlines()]


def _raw_line(lines: list[str]) -> str:
    return next(line for line in lines if re.match(r"[✓✗] openalex_raw\b", line))


def test_a_rerun_that_read_nothing_says_so_and_not_how_many_rows_it_loaded(rerun):
    line = _raw_line(_lines(rerun["result"]))
    files = sum(int(e.materialization.metadata["files"].value) for e in rerun["result"].get_asset_materialization_events()
                if "files" in e.materialization.metadata)
    assert files > 0
    assert f"nothing new read ({files} files unchanged since the last run)" in line, line
    assert "tables kept as they were" in line
    assert not re.search(r"\d assets, ", line), line


def test_a_first_run_says_how_many_files_and_records_it_read(demo_run):
    line = _raw_line(_lines(demo_run["result"]))
    events = [e.materialization.metadata for e in demo_run["result"].get_asset_materialization_events()]
    files = sum(int(m["files"].value) for m in events if "files" in m)
    records = sum(int(m["records"].value) for m in events if "records" in m)
    assert f"{files} of {files} files read, {records:,} records" in line, line
    assert "nothing new read" not in line


def test_a_long_step_says_how_far_it_got(demo_run):
    # Every event counts as time passing: with no wait between lines, dbt's build reports after each asset.
    lines = _lines(demo_run["result"], heartbeat_s=0.0)
    dbt = [line for line in lines if line.startswith("  dbt_build: ")]
    assert dbt, lines[:20]
    built = [int(re.match(r"  dbt_build: (\d+) assets? built", line).group(1)) for line in dbt]
    assert built == sorted(built)
    assert built[-1] > 1
    assert run_logging.HEARTBEAT_S >= 10  # the real interval: a line at most every so many seconds


def test_the_report_says_how_many_pages_it_has_drawn_and_make_run_prints_it(demo_run, tmp_path):
    from dagster_project.report import build_report
    from tests.conftest import copy_demo_run

    published = copy_demo_run(demo_run, tmp_path)
    said = []
    summary = build_report(published, progress=said.append)
    drawn = summary["institution_pages_drawn"]
    assert drawn > 10
    assert said[-1] == f"institution pages: {drawn:,} of {drawn:,} drawn"
    assert 10 <= len(said) <= 11  # every tenth, and the last
    # make run's terminal: the step's own words while it has nothing to count, at most every heartbeat_s.
    start = next(e for e in demo_run["result"].all_events if e.is_step_start and e.step_key == "reports__study_report")
    out = io.StringIO()
    progress = StepProgress(out)
    progress.heartbeat_s = 0.0
    for event, message in [(start, None), *((None, m) for m in said)]:
        record = logging.LogRecord("run", logging.INFO, __file__, 0, message or "", None, None)
        record.dagster_meta = {"dagster_event": event, "step_key": "reports__study_report", "orig_message": message}
        progress.emit(record)
    printed = [line[10:] for line in out.getvalue().splitlines()]
    assert printed[0] == "▸ reports__study_report …"
    assert printed[-1].startswith(f"  reports__study_report: {said[-1]} (")
