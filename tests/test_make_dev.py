"""`make dev` stops every process it started on Ctrl-C, before make returns.

The test starts `make dev` in a session of its own, as a terminal would, presses Ctrl-C (SIGINT to the foreground
process group, make's) while the code location is still loading (a `dbt parse` running under the code server), and
checks that no process of the session outlives make.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dagster_project.dev import group_members

ROOT = Path(__file__).resolve().parent.parent


def session_processes(sid: int) -> dict[int, str]:
    """The running (not zombie) processes of a session: pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found[int(entry.name)] = command
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_group_members_lists_a_running_group_and_not_its_zombies():
    child = subprocess.Popen(["sleep", "30"], process_group=0)
    try:
        assert group_members(child.pid) == [child.pid]
        child.kill()  # not reaped (no wait) yet: a zombie once the kernel has ended it
        deadline = time.monotonic() + 10
        while group_members(child.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(child.pid) == []
        assert Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # still there, a zombie
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow  # the UI starting and loading the code location: ~30 s
def test_ctrl_c_during_start_up_stops_every_process_before_make_returns(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DBT_TARGET_PATH"}  # a parse of its own, under the new warehouse
    env.update(DAGSTER_HOME=str(tmp_path / "dagster_home"), WAREHOUSE_PATH=str(tmp_path / "warehouse" / "openalex.duckdb"),
               RAW_DIR=str(tmp_path / "raw"), DEV_PORT=str(free_port()))
    log = tmp_path / "dev.log"
    with log.open("w") as out:
        # -o: the installed venv is taken as it is (make test installed it), never reinstalled by this test.
        make = subprocess.Popen(["make", "-o", ".venv/.installed", "dev"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    seen: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 240
        while not any("dbt" in c and " parse" in c for c in seen.values()):
            assert make.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no dbt parse started; processes: {seen}\n{log.read_text()[-3000:]}"
            seen.update(session_processes(make.pid))
            time.sleep(0.2)
        assert any(" dev " in f"{c} " for c in seen.values())  # dg dev among them
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(timeout=60)
        left = {pid: command for pid, command in session_processes(make.pid).items() if pid in seen}
        assert left == {}, log.read_text()[-3000:]
    finally:
        for pid in session_processes(make.pid):
            os.kill(pid, signal.SIGKILL)
        make.wait(timeout=10)
