"""The resumable state of an unfinished API fetch, under `<raw_dir>/api/.checkpoint/`.

`state.json` holds the cursors, counts and entity rounds; `pages/` holds each fetched page as gzipped JSON lines.
A page is written (temp file + rename) before the state that points past it is saved, so a killed run resumes
from the last saved cursor and rewrites the page it may have half-done: the result equals an uninterrupted run's.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shutil
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .errors import ApiFetchError

RESUME_MAX_AGE = timedelta(days=7)  # an older checkpoint is dropped: the data would mix weeks
CHECKPOINT_VERSION = 3  # 3: works cut at 100 authorships fetched whole before the entities they cite


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def atomic_write_json(path: Path, doc, pretty: bool = False) -> None:
    text = json.dumps(doc, indent=1) if pretty else json.dumps(doc, separators=(",", ":"))
    atomic_write_bytes(path, text.encode())


def write_page(path: Path, records) -> int:
    """Records as gzipped JSON lines, atomically; returns the bytes written."""
    lines = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    data = gzip.compress(lines.encode("utf-8"), compresslevel=1)
    atomic_write_bytes(path, data)
    return len(data)


def read_page(path: Path):
    """The JSON lines of a page, each ending in a newline."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line if line.endswith("\n") else line + "\n"


class Checkpoint:
    """Cursors and pages of an unfinished fetch."""

    def __init__(self, directory: Path, state: dict):
        self.dir, self.state = directory, state

    @classmethod
    def open(cls, directory: Path, fingerprint: str, plan: dict, log) -> Checkpoint:
        """Resume the checkpoint of the same plan (younger than RESUME_MAX_AGE), or start a new one."""
        state_file = directory / "state.json"
        if state_file.is_file():
            try:
                state = json.loads(state_file.read_text())
            except ValueError:
                state = {}
            started = state.get("started_at")
            age = datetime.now(UTC) - datetime.fromisoformat(started) if started else None
            if state.get("version") != CHECKPOINT_VERSION or state.get("fingerprint") != fingerprint:
                log.warning(f"Dropping the checkpoint in {directory}: it belongs to a different fetch plan")
            elif age is None or age > RESUME_MAX_AGE:
                log.warning(f"Dropping the checkpoint in {directory}: started {started}, older than {RESUME_MAX_AGE.days} days")
            else:
                state["runs"] = int(state.get("runs", 1)) + 1
                log.info(f"Resuming the API fetch started {started} (run {state['runs']}) from {directory}")
                ck = cls(directory, state)
                ck.save()
                return ck
            shutil.rmtree(directory, ignore_errors=True)
        now = datetime.now(UTC)
        state = {
            "version": CHECKPOINT_VERSION, "fingerprint": fingerprint,
            "started_at": now.isoformat(timespec="seconds"), "fetch_date": now.date().isoformat(), "runs": 1,
            "works": {}, "counts": {}, "entities": {}, "stats": {}, "durations": {},
        }
        ck = cls(directory, state)
        atomic_write_json(directory / "plan.json", plan, pretty=True)  # for people: what this checkpoint fetches
        ck.save()
        return ck

    @property
    def resumed(self) -> bool:
        return int(self.state.get("runs", 1)) > 1

    def save(self) -> None:
        atomic_write_json(self.dir / "state.json", self.state)

    def page(self, *parts: str) -> Path:
        return self.dir.joinpath("pages", *parts)

    def drop(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def exclusive(lock_file: Path):
    """One fetch at a time per folder (an flock, released when the process dies)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApiFetchError(f"another API fetch is running on {lock_file.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
