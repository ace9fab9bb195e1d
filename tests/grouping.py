"""Which process of `make test` (pytest-xdist, `--dist loadgroup`) runs a test: the tests that read one of the
session's shared runs all go to one process, which makes each run once; any other test stays with its file's
(a file's tests may share a module's run)."""

from __future__ import annotations

# Every shared run (releases and its rerun, marts_only_run, the end-to-end snapshot_run) is made from the session's demo run, so a
# test that reads any of them requests this fixture too (pytest lists a test's fixtures with their dependencies).
SHARED_RUN = "demo_run"


def reads_a_shared_run(item) -> bool:
    return SHARED_RUN in getattr(item, "fixturenames", ())


def xdist_group(item) -> str:
    return "shared_runs" if reads_a_shared_run(item) else item.nodeid.split("::")[0]
