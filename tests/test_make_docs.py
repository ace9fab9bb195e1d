"""`make docs` is quiet: a line when the docs step starts and one when it ends, the address, and nothing else
(no Dagster DEBUG lines, no warnings) until Ctrl-C stops it cleanly.

It runs the docs job once more (one asset, `dbt docs generate` on a copy of the session's demo run): what the
terminal shows is the job's output through the command, so no shared run can stand in for it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import copy_demo_run, set_warehouse_env

ROOT = Path(__file__).resolve().parent.parent
# SimpleHTTPRequestHandler's line per request, on stderr: the only thing the server says.
REQUEST_LOG = re.compile(r'^127\.0\.0\.1 - - \[[^\]]+\] "GET [^"]+" \d{3} -$')


# Exec the rest of its arguments as a Python command line with SIGINT ignored, as a parent may have left it.
IGNORING_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                   "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # the docs job and the definitions loading in a process of their own: ~40 s
def test_make_docs_prints_its_step_and_address_only_and_stops_on_ctrl_c(demo_run, tmp_path, monkeypatch):
    copy_demo_run(demo_run, tmp_path)
    set_warehouse_env(monkeypatch, tmp_path)  # through the session's link: the session's dbt parse serves
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    port = free_port()
    # Started as a parent that ignores SIGINT would start it (the disposition survives exec): Ctrl-C must still stop it.
    serve = subprocess.Popen([sys.executable, "-c", IGNORING_SIGINT, "-m", "dagster_project.serve", "docs", "--port", str(port)], cwd=ROOT,
                             env=dict(os.environ), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 300
        while not lines or not lines[-1].startswith("dbt docs: "):
            line = serve.stdout.readline()
            assert line, f"serve docs ended early: {lines}\n{serve.stderr.read()}"
            assert time.monotonic() < deadline
            lines.append(line.rstrip("\n"))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
            assert b"dbt" in page.read()
        serve.send_signal(signal.SIGINT)  # Ctrl-C
        rest, errors = serve.communicate(timeout=120)  # a loaded machine's exit, not a hang
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.communicate()
    assert serve.returncode == 0
    start, *progress, done, address = lines
    assert re.fullmatch(r"\d\d:\d\d:\d\d  ▸ warehouse__dbt_docs …", start)
    # A long step may say how far it got, indented under it; nothing else comes between.
    assert [line for line in progress if not re.fullmatch(r"\d\d:\d\d:\d\d    warehouse__dbt_docs: .+", line)] == []
    assert re.fullmatch(r"\d\d:\d\d:\d\d  ✓ warehouse__dbt_docs \([\d.]+ s\): 1 assets?, 0 rows", done)
    assert address.startswith(f"dbt docs: http://127.0.0.1:{port}/ ")
    assert rest == ""
    assert [e for e in errors.splitlines() if not REQUEST_LOG.match(e)] == []
