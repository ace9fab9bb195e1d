"""`make dev`: the Dagster UI (`dg dev`), stopped whole by Ctrl-C.

`dg dev` starts the webserver, the daemon and a code server, which start processes of their own (a `dbt parse` while
the code location loads). Ctrl-C stops `dg dev` within seconds, but make returned before the last of them had
stopped, and a second Ctrl-C or a signal to make alone left some running. Here `dg dev` runs in a process group of
its own: Ctrl-C (or SIGTERM, SIGHUP) is passed on to the whole group, and this process returns only once no process
of the group runs, killing those still there after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# How long the group has to stop after `dg dev` itself exits (its graceful shutdown takes ~5 s), before SIGKILL.
GRACE_SECONDS = 15.0


def group_members(pgid: int) -> list[int]:
    """The processes of a process group still running (zombies, which are only waiting to be reaped, left out)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it exited meanwhile
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to what is left of the group, then SIGKILL to what is still there after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not group_members(pgid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)


def main(argv: list[str]) -> int:
    dg = Path(sys.executable).with_name("dg")
    process = subprocess.Popen([str(dg), "dev", *argv], process_group=0)

    def pass_on(signum: int, _frame) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, pass_on)
    try:
        return process.wait()
    finally:
        stop_group(process.pid)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
