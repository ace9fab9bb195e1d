"""What the session's release runs (tests/conftest.py `releases`) read from a warehouse after each run, the reader
process that queries it during one, and the local HTTP receiver their alerts' webhook posts to (it fails its first
request). Kept apart from conftest so the release history's tests and the fixture share one copy."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb

from dagster_project.demo_data.affiliations import short_id
from dagster_project.demo_data.generator import TUM_ROR

SECRET = "token-5f3a9c"  # in the webhook's URL: must reach no log line, metadata or file


class WebhookReceiver(BaseHTTPRequestHandler):
    bodies: list[dict] = []
    answers: list[int] = []

    def do_POST(self):  # noqa: N802 (the standard library's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        code = self.answers.pop(0) if self.answers else 200
        if code == 200:
            self.bodies.append(body)
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):
        pass


def releases_and_changes(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        cur = con.execute("select * from marts.release_changes")
        columns = [d[0] for d in cur.description]
        changes = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
        releases = [r[0] for r in con.execute("select release_id from history.releases order by published_at").fetchall()]
    return {"changes": changes, "releases": releases}


def run_logs_and_metadata(instance, result) -> str:
    text = [str(e.user_message) + " " + str(e.dagster_event) for e in instance.all_logs(result.run_id)]
    return "\n".join(text)


QUERIES = Path(__file__).resolve().parent.parent / "docs" / "queries"


def example_queries(path: Path) -> dict[str, list[dict]]:
    """The release example queries' answers (each as written in docs/queries), as rows of named values."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for name in ("20_changes_since_the_last_release", "21_partner_history_of_an_institution"):
            cur = con.execute((QUERIES / f"{name}.sql").read_text())
            columns = [d[0] for d in cur.description]
            out[name] = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return out


def tum_profile(path: Path) -> str:
    from dagster_project.profile_cli import render

    with duckdb.connect(str(path), read_only=True) as con:
        tum = con.execute("select institution_id from marts.institution_profiles where institution_ror = ?",
                          [short_id(TUM_ROR)]).fetchone()[0]
        return render(con, tum, 5)


@contextlib.contextmanager
def reading_published(published: Path, root: Path, rows: int, marts: int):
    """tests/warehouse_reader.py querying `published` from a second before the block to a second after it (a
    complete warehouse has `rows` headline figures and `marts` marts); what it saw lands in the yielded dict's
    "seen"."""
    out = {}
    stop, seen = root / "reader.stop", root / "reader.json"
    reader = subprocess.Popen([sys.executable, str(Path(__file__).with_name("warehouse_reader.py")), str(published),
                               str(stop), str(seen), str(rows), str(marts)])
    try:
        time.sleep(1.0)
        yield out
        time.sleep(1.0)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    out["seen"] = json.loads(seen.read_text())
