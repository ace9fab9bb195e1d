"""The watchlist file's rules and one-line errors, the alerts' webhook against local HTTP receivers, and the history
restored from the live release (what makes a run that did not publish leave no trace in it)."""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from dagster_project.assets.alerts import post_alerts, release_change_kinds
from dagster_project.lib.release_history import restore_from_live_release
from dagster_project.resources import dbt_manifest
from dagster_project.settings import SettingsError, load_settings
from dagster_project.watchlist import WatchlistError, load_watchlist

SECRET = "s3cr3t-token"


@pytest.fixture(scope="module")
def kinds():
    return release_change_kinds(dbt_manifest())


def test_a_watchlist_names_institutions_by_ror_or_openalex_id_with_a_note_and_the_kinds_that_matter(tmp_path, kinds):
    path = tmp_path / "watchlist.yml"
    path.write_text("institutions:\n"
                    "  - id: https://ror.org/02kkvpp62\n    note: review 2026\n    changes: [new_partner]\n"
                    "  - id: i62916508\n")
    first, second = load_watchlist(path, kinds)
    assert (first.ror_id, first.openalex_id, first.note, first.changes) == ("02kkvpp62", None, "review 2026", ("new_partner",))
    assert (second.ror_id, second.openalex_id, second.note) == (None, "I62916508", None)
    assert set(second.changes) == set(kinds) - {"first_release", "figure_changed"}
    assert load_watchlist(tmp_path / "absent.yml", kinds) == []


@pytest.mark.parametrize(("text", "names"), [
    ("institutions:\n  - id: 02kkvpp63\n", ["institutions[0].id", "'02kkvpp63'", "neither a ROR id"]),
    ("institutions:\n  - id: 02kkvpp62\n  - id: W123\n", ["institutions[1].id", "'W123'"]),
    ("institutions:\n  - id: 02kkvpp62\n    changes: [figure_changed]\n", ["institutions[0].changes", "'figure_changed'"]),
    ("institutions:\n  - id: 02kkvpp62\n    colour: red\n", ["institutions[0].colour"]),
    ("institutions:\n  - id: 02kkvpp62\n\t- id: I1\n", ["line 3", "not a YAML file"]),
    ("institutions: 02kkvpp62\n", ["institutions"]),
    ("- id: 02kkvpp62\n", ["the file"]),
])
def test_a_bad_watchlist_is_one_sentence_naming_the_file_the_entry_and_the_field(tmp_path, kinds, text, names):
    path = tmp_path / "watchlist.yml"
    path.write_text(text)
    with pytest.raises(WatchlistError) as error:
        load_watchlist(path, kinds)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for name in names:
        assert name in message


class _Answers(BaseHTTPRequestHandler):
    codes: list[int] = []
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 (the standard library's name)
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(self.codes.pop(0) if self.codes else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Answers.codes[:], _Answers.received[:] = [], []
    yield f"http://127.0.0.1:{server.server_port}/hook?key={SECRET}"
    server.shutdown()


class _Collect(logging.Handler):
    def __init__(self, records: list[str]):
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def _logger(records: list[str]) -> logging.Logger:
    log = logging.getLogger(f"alerts-test-{id(records)}")
    log.addHandler(_Collect(records))
    return log


def test_the_webhook_is_retried_until_it_takes_the_alerts(receiver):
    _Answers.codes[:] = [503, 500]
    said: list[str] = []
    assert post_alerts(receiver, "r1", [{"change_kind": "new_partner"}], _logger(said)) == "posted (HTTP 200)"
    assert len(_Answers.received) == 3
    assert said == []


def test_a_webhook_that_keeps_failing_is_a_warning_without_its_url(receiver):
    _Answers.codes[:] = [500] * 10
    said: list[str] = []
    outcome = post_alerts(receiver, "r1", [{"change_kind": "new_partner"}], _logger(said))
    assert outcome.startswith("failed")
    assert len(said) == 1
    assert SECRET not in said[0]
    assert "127.0.0.1" not in said[0]


def test_an_unreachable_webhook_is_a_warning_without_its_url():
    said: list[str] = []
    url = f"http://127.0.0.1:{_free_port()}/hook?key={SECRET}"
    outcome = post_alerts(url, "r1", [], _logger(said))
    assert outcome.startswith("failed (")
    assert len(said) == 1
    assert SECRET not in said[0]


def _free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_bad_webhook_url_is_refused_without_repeating_it():
    with pytest.raises(SettingsError) as error:
        load_settings({"ALERTS_WEBHOOK_URL": f"ftp://example.org/{SECRET}"})
    assert "ALERTS_WEBHOOK_URL" in str(error.value)
    assert SECRET not in str(error.value)
    settings = load_settings({"ALERTS_WEBHOOK_URL": f"https://example.org/hook?key={SECRET}"})
    assert SECRET not in repr(settings)


def _history(path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists history")
        con.execute("create or replace table history.releases as select 'r' || i as release_id, "
                    "timestamp '2026-01-01' + to_days(i::int) as published_at from range(?) t(i)", [rows])
        con.execute("create or replace table history.headline_figures_history as select i as value from range(?) t(i)", [rows * 10])


def test_a_run_starts_from_the_live_releases_history_and_nothing_a_failed_run_wrote(tmp_path):
    build, live = tmp_path / "build" / "openalex.duckdb", tmp_path / "live" / "openalex.duckdb"
    live.parent.mkdir()
    build.parent.mkdir()
    _history(live, 2)
    _history(build, 3)  # the history a run that did not publish left: one release and its rows too many
    with duckdb.connect(str(build)) as con:
        con.execute("create table history.snapshot_of_a_failed_run as select 1 as x")
    said = restore_from_live_release(build, live)
    assert "r1" in said
    with duckdb.connect(str(build), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'history'").fetchall()}
        assert tables == {"releases", "headline_figures_history"}
        assert con.execute("select count(*) from history.releases").fetchone()[0] == 2
        assert con.execute("select count(*) from history.headline_figures_history").fetchone()[0] == 20
    live.unlink()
    assert "No release published yet" in restore_from_live_release(build, live)
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_tables() where schema_name = 'history'").fetchone()[0] == 0


def test_alerts_keep_only_the_watched_institutions_and_the_kinds_each_asked_for(tmp_path, kinds):
    from dagster_project.assets.alerts import CHANGE_COLUMNS, watched_changes

    path = tmp_path / "watchlist.yml"
    path.write_text("institutions:\n  - id: 02kkvpp62\n    changes: [partner_gone]\n    note: only gone\n"
                    "  - id: I2\n")
    watched = load_watchlist(path, kinds)
    rows = [("new_partner", "I1", "02kkvpp62"), ("partner_gone", "I1", "02kkvpp62"), ("new_pla_works", "I2", None),
            ("new_partner", "I2", None), ("new_partner", "I3", "05d2yfz11")]
    with duckdb.connect() as con:
        con.execute("create schema marts; create schema history")
        con.execute(f"create table marts.release_changes ({', '.join(f'{c} varchar' for c in CHANGE_COLUMNS)})")
        con.executemany("insert into marts.release_changes (change_kind, institution_id, institution_ror) values (?, ?, ?)", rows)
        con.execute("create table history.releases as select 'r2' as release_id, now() as published_at")
        release, alerts = watched_changes(con, watched)
    assert release == "r2"
    assert sorted((a["change_kind"], a["institution_id"], a["note"]) for a in alerts) == [
        ("new_partner", "I2", None), ("new_pla_works", "I2", None), ("partner_gone", "I1", "only gone")]
