"""Loggers for runs started from the terminal (`make run`): a line per step, and the whole log in a file.

Dagster uses them only when a run's config names them (run.py does); runs launched from the UI keep Dagster's
own logging. Each record carries the Dagster event it reports under `dagster_meta`, as Dagster's own JSON logger
writes it.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import dagster as dg

HEARTBEAT_S = 20.0
HEARTBEAT_MIN_EVENTS = 10  # a step of many assets and checks (dbt's build), not one slow asset


def _event(record: logging.LogRecord):
    return (getattr(record, "dagster_meta", None) or {}).get("dagster_event")


def _text(record: logging.LogRecord) -> str:
    """The message as its step logged it, without Dagster's job / run / step prefix."""
    text = (getattr(record, "dagster_meta", None) or {}).get("orig_message") or record.getMessage()
    return str(text).strip()


class StepProgress(logging.Handler):
    """One line when a step starts and one when it ends, with what it materialised and how its checks went;
    errors in one line each. Everything else (dbt's node-by-node output among it) goes to the log file only."""

    def __init__(self, stream=None):
        super().__init__(logging.DEBUG)  # step events are logged at debug level
        self.stream = stream or sys.__stdout__
        self.steps: dict[str, dict] = {}
        self.heartbeat_s = HEARTBEAT_S

    def _print(self, text: str) -> None:
        self.stream.write(f"{time.strftime('%H:%M:%S')}  {text}\n")
        self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        event = _event(record)
        if event is None:
            if record.levelno >= logging.WARNING:
                self._print(f"{record.levelname} {_text(record)}")
            else:
                self._said_while_running(record)
            return
        step = event.step_key or ""
        tally = self.steps.setdefault(step, {"started": time.monotonic(), "said": time.monotonic(), "assets": 0, "rows": 0,
                                             "passed": 0, "failed": [], "warned": [], "files": 0, "files_unchanged": 0, "records": 0})
        if event.is_step_start:
            tally["started"] = tally["said"] = time.monotonic()
            self._print(f"▸ {step} …")
        elif event.is_step_materialization:
            tally["assets"] += 1
            meta = event.materialization.metadata if event.materialization else {}
            rows = meta.get("dagster/row_count")
            tally["rows"] += int(rows.value) if rows is not None else 0
            # The raw step's files: what it read, against what it found unchanged since the last run.
            for key, name in (("files", "files"), ("files_skipped_unchanged", "files_unchanged"), ("records", "records")):
                if key in meta:
                    tally[name] += int(meta[key].value)
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.asset_check_evaluation_data
            if evaluation.passed:
                tally["passed"] += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:  # a warning: the run goes on
                tally["warned"].append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
            else:
                tally["failed"].append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
                if evaluation.description:
                    self._print(f"  ✗ {evaluation.check_name}: {evaluation.description}")
        elif event.is_step_success or event.is_step_failure or event.is_step_skipped:
            seconds = time.monotonic() - tally["started"]
            parts = []
            if tally["files"]:
                parts.append(_files_read(tally))
            if tally["files"] and tally["files"] == tally["files_unchanged"]:
                parts.append(f"its tables kept as they were ({_n(tally['rows'], 'row')})")
            elif tally["assets"]:
                parts.append(f"{_n(tally['assets'], 'asset')}, {_n(tally['rows'], 'row')}")
            if tally["passed"] or tally["failed"] or tally["warned"]:
                parts.append(f"{_n(tally['passed'], 'check')} passed" + (f", {len(tally['failed'])} failed" if tally["failed"] else "")
                             + (f", {len(tally['warned'])} warned" if tally["warned"] else ""))
            mark = "✓" if event.is_step_success else "✗" if event.is_step_failure else "–"
            status = "" if event.is_step_success else " failed" if event.is_step_failure else " skipped"
            self._print(f"{mark} {step}{status} ({seconds:.1f} s){': ' + '; '.join(parts) if parts else ''}")
            if tally["warned"]:
                self._print(f"  ⚠ warnings: {', '.join(tally['warned'][:8])}")
            if tally["failed"]:
                self._print(f"  failed checks: {', '.join(tally['failed'][:8])}{' …' if len(tally['failed']) > 8 else ''}")
            if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
                self._print(f"  {event.step_failure_data.error.message.strip().splitlines()[0]}")
            return
        # A long step of many assets (dbt's build) says how far it got, at most every heartbeat_s, so the terminal is never silent.
        done = tally["assets"] + tally["passed"] + len(tally["failed"]) + len(tally["warned"])
        if time.monotonic() - tally["said"] >= self.heartbeat_s and done >= HEARTBEAT_MIN_EVENTS:
            tally["said"] = time.monotonic()
            self._print(f"  {step}: {_n(tally['assets'], 'asset')} built, {_n(tally['passed'] + len(tally['failed']), 'check')} run so far "
                        f"({time.monotonic() - tally['started']:.0f} s)")


    def _said_while_running(self, record: logging.LogRecord) -> None:
        """A long step's own message (the report's pages drawn so far), at most every heartbeat_s: it is silent
        otherwise, having no assets or checks to count until it ends."""
        step = (getattr(record, "dagster_meta", None) or {}).get("step_key")
        tally = self.steps.get(step or "")
        if tally is not None and time.monotonic() - tally["said"] >= self.heartbeat_s:
            tally["said"] = time.monotonic()
            self._print(f"  {step}: {_text(record)} ({time.monotonic() - tally['started']:.0f} s)")


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _files_read(tally: dict) -> str:
    read = tally["files"] - tally["files_unchanged"]
    if read == 0:
        return f"nothing new read ({_n(tally['files'], 'file')} unchanged since the last run)"
    unchanged = f", {tally['files_unchanged']} unchanged" if tally["files_unchanged"] else ""
    return f"{read} of {_n(tally['files'], 'file')} read{unchanged}, {_n(tally['records'], 'record')}"


@dg.logger(description="A line per step of the run, with its counts (for `make run`).")
def step_progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger(f"warehouse.progress.{init_context.run_id}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers = [StepProgress()]
    return log


class RunLogFile(logging.FileHandler):
    """The run's log file. When it cannot be written (a full disk), one sentence says so and the rest of the log is
    dropped: logging's default prints a traceback for every record, hundreds in a run."""

    def __init__(self, path: Path):
        super().__init__(path, encoding="utf-8")
        self.failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        if self.failed:
            return
        self.failed = True
        error = sys.exc_info()[1]
        sys.__stderr__.write(f"The run log {self.baseFilename} cannot be written ({error}): the rest of it is dropped; "
                             "the terminal keeps a line per step.\n")


@dg.logger(
    config_schema={"path": dg.Field(str, description="The file the run's whole log is written to.")},
    description="Every message of the run, dbt's included, to a file (for `make run`).",
)
def run_log_file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    path = Path(init_context.logger_config["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    log = logging.getLogger(f"warehouse.logfile.{init_context.run_id}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    handler = RunLogFile(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.handlers = [handler]
    return log


LOGGERS = {"console": dg.colored_console_logger, "progress": step_progress_logger, "run_log_file": run_log_file_logger}
