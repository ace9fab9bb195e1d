"""The Dagster instance `make run` and `make dev` share (DAGSTER_HOME), opened safely by two processes at once.

A new DAGSTER_HOME's SQLite storage is created on first open; two processes creating it together both stamp its
schema version and leave it unusable ("more than one head"), so the first open of each process waits for the
others under a file lock. `python -m dagster_project.instance` opens it once (what `make dev` does before the UI).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from .lib.run_lock import exclusive_file_lock


def open_instance() -> dg.DagsterInstance:
    home = os.environ.get("DAGSTER_HOME")  # Dagster's own variable: DagsterInstance.get() reads it too
    if not home:
        return dg.DagsterInstance.get()  # raises Dagster's own message naming DAGSTER_HOME
    with exclusive_file_lock(Path(home) / ".instance.lock"):
        return dg.DagsterInstance.get()


if __name__ == "__main__":
    open_instance().dispose()
