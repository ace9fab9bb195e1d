"""Which process of `make test` (pytest-xdist, `--dist loadgroup`) runs a test: the tests that read one of the
session's shared runs all go to one process, which makes each run once; any other test stays with its file's
(a file's tests may share a module's run)."""

from __future__ import annotations

SHARED_RUN_FIXTURES = {"demo_run", "rerun", "marts_only_run"}
SHARED_RUNS_GROUP = "shared_runs"


def xdist_group(item) -> str:
    if SHARED_RUN_FIXTURES & set(getattr(item, "fixturenames", ())):
        return SHARED_RUNS_GROUP
    return item.nodeid.split("::")[0]
