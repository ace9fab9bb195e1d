"""One writer at a time per warehouse, and per raw landing zone.

A run holds an exclusive `flock` on `<warehouse folder>/.<warehouse file>.lock` and on `<RAW_DIR>/.<source>.lock`
from before it reads anything until it ends. The kernel drops the lock when the holder exits, however it exits, so
the lock of a killed run is simply taken by the next one; the file only tells a refused run who holds it (pid,
start time, command). Within one process the lock is re-entrant: `make run` takes it before it starts Dagster,
and the run's resource takes it again.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..settings import Settings


class WarehouseBusy(RuntimeError):
    """Another process holds the lock; the message is one sentence naming it."""


_held: dict[str, tuple[int, int]] = {}  # lock file -> (fd, depth), this process's locks
_guard = threading.Lock()


def lock_files(settings: Settings) -> list[Path]:
    """The lock files of a run, in the order they are taken (always the same, so two runs cannot deadlock)."""
    target = settings.warehouse_path
    return [target.with_name(f".{target.name}.lock"), settings.raw_dir / f".{settings.source}.lock"]


def holder(lock_file: Path) -> str:
    """Who holds `lock_file`, as its holder wrote it."""
    try:
        info = json.loads(lock_file.read_text() or "{}")
        return f"pid {info['pid']}, started {info['started']}: {info['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not written its name yet"


def _take(path: Path, what: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WarehouseBusy(f"{what} is being written by another run ({holder(path)}): not starting; "
                            "wait for it to finish (its lock is dropped as soon as it ends).") from None
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps({"pid": os.getpid(), "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                             "command": " ".join(Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv))[:200]
                             }).encode())
    return fd


def _release(path: Path) -> None:
    fd, depth = _held[str(path)]
    if depth > 1:
        _held[str(path)] = (fd, depth - 1)
        return
    del _held[str(path)]
    os.close(fd)  # closing drops the flock


@contextmanager
def exclusive_file_lock(path: Path):
    """Wait for, then hold, an flock on `path`: for short critical sections shared between processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def writer_lock(settings: Settings):
    """Hold the run's locks for the `with` block, or raise WarehouseBusy naming the holder."""
    what = {0: f"The warehouse '{settings.warehouse_path}'", 1: f"The raw landing zone '{settings.raw_dir / settings.source}'"}
    taken: list[Path] = []
    try:
        with _guard:
            for i, path in enumerate(lock_files(settings)):
                key = str(path)
                if key in _held:
                    fd, depth = _held[key]
                    _held[key] = (fd, depth + 1)
                else:
                    _held[key] = (_take(path, what[i]), 1)
                taken.append(path)
        yield
    finally:
        with _guard:
            for path in reversed(taken):
                _release(path)
