"""The serving connection Superset opens on the published warehouse reads that file and nothing else, and its admin
password is never a default.

The connection is opened here exactly as Superset opens it: duckdb.connect() with provision.py's SERVING_CONNECT_ARGS
(what duckdb-engine receives as connect_args), then provision.lock_down() (what superset_config.py runs on every new
DuckDB connection), through the real duckdb library on a file laid out as a run publishes it. No Superset needed:
provision.py is standard library only.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
PROVISION = ROOT / "superset" / "provision.py"
MARTS = ("headline_figures", "agg_country_year")


def _provision():
    spec = importlib.util.spec_from_file_location("superset_provision", PROVISION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


provision = _provision()


@pytest.fixture
def published(tmp_path):
    """A warehouse published the way a run does (releases/<id>/openalex.duckdb behind the `current` link), a staging
    view naming the file's own catalog, and files outside it that no query may reach."""
    release = tmp_path / "warehouse" / "releases" / "r1"
    release.mkdir(parents=True)
    with duckdb.connect(str(release / "openalex.duckdb")) as con:
        con.execute("create schema marts")
        con.execute("create table marts.headline_figures as select 'eu_cn_works' as metric, '2017-2022' as period, 67 as value")
        con.execute("create table marts.agg_country_year as select 'GB' as scope, 2020 + range as year, range as works from range(3)")
        con.execute("create schema staging")
        con.execute("create view staging.stg_figures as select * from openalex.marts.headline_figures")
    (tmp_path / "warehouse" / "current").symlink_to("releases/r1")
    (tmp_path / "warehouse" / "openalex.duckdb").symlink_to("current/openalex.duckdb")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("name,value\nsecret,42\n")
    with duckdb.connect(str(outside / "other.duckdb")) as con:
        con.execute("create table t as select 1 as i")
    return {"warehouse": tmp_path / "warehouse" / "openalex.duckdb", "release": release, "outside": outside}


def _serving_connection(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), **provision.SERVING_CONNECT_ARGS)
    provision.lock_down(con)
    return con


def test_superset_registers_the_serving_connect_args():
    assert provision.EXTRA["engine_params"]["connect_args"] == provision.SERVING_CONNECT_ARGS
    assert provision.SERVING_CONNECT_ARGS["read_only"] is True
    assert provision.SERVING_CONNECT_ARGS["config"]["enable_external_access"] is False
    assert provision.SERVING_CONNECT_ARGS["config"]["lock_configuration"] is True


def test_every_mart_and_view_of_the_published_file_stays_queryable(published):
    with _serving_connection(published["warehouse"]) as con:
        assert con.execute("select current_setting('access_mode')").fetchone() == ("read_only",)
        for mart in MARTS:
            assert con.execute(f"select * from marts.{mart}").fetchall(), mart
        assert con.execute("select metric, value from staging.stg_figures").fetchall() == [("eu_cn_works", 67)]
        # the marts' Parquet-free reading path: json and parquet are built in, so loading them needs no file
        assert con.execute("select to_json({'a': 1})").fetchone() == ('{"a":1}',)


# (what is tried, the SQL ({outside}, {release}: the folders), the error DuckDB must give, a file that must not appear)
REFUSED = [
    ("read_text of a file outside", "select * from read_text('{outside}/secret.csv')", duckdb.PermissionException, None),
    ("read_text of /etc/passwd", "select * from read_text('/etc/passwd')", duckdb.PermissionException, None),
    ("read_csv of a file outside", "select * from read_csv('{outside}/secret.csv')", duckdb.PermissionException, None),
    ("a file named in FROM", "select * from '{outside}/secret.csv'", duckdb.PermissionException, None),
    ("glob", "select * from glob('{outside}/*')", duckdb.PermissionException, None),
    ("read_parquet of a URL", "select * from read_parquet('https://example.org/x.parquet')", duckdb.PermissionException, None),
    ("COPY TO a file outside", "copy (select 1 as i) to '{outside}/copied.csv'", duckdb.PermissionException, "{outside}/copied.csv"),
    ("COPY a mart TO Parquet", "copy marts.headline_figures to '{outside}/m.parquet' (format parquet)", duckdb.PermissionException,
     "{outside}/m.parquet"),
    # DuckDB leaves an open database's WAL writable even with external access off; every reader would replay it.
    ("COPY TO the WAL beside the release", "copy (select 1 as i) to '{release}/openalex.duckdb.wal' (format csv)",
     duckdb.PermissionException, "{release}/openalex.duckdb.wal"),
    ("EXPORT DATABASE", "export database '{outside}/export'", duckdb.PermissionException, "{outside}/export"),
    ("ATTACH another file", "attach '{outside}/other.duckdb' as other", duckdb.PermissionException, None),
    ("ATTACH a new file", "attach '{outside}/new.duckdb' as new", duckdb.PermissionException, "{outside}/new.duckdb"),
    ("INSTALL an extension", "install httpfs", duckdb.PermissionException, None),
    ("LOAD an extension", "load httpfs", duckdb.PermissionException, None),
    ("SET enable_external_access=true", "set enable_external_access = true", duckdb.InvalidInputException, None),
    ("SET lock_configuration=false", "set lock_configuration = false", duckdb.InvalidInputException, None),
    ("reopen the local file system", "set disabled_filesystems = ''", duckdb.InvalidInputException, None),
    ("widen allowed_directories", "set allowed_directories = ['/']", duckdb.InvalidInputException, None),
    ("a spill folder outside", "set temp_directory = '{outside}/spill'", duckdb.InvalidInputException, None),
    ("profiling output to a file", "pragma profiling_output = '{outside}/profile.json'", duckdb.InvalidInputException, None),
    ("a log file", "set logging_storage = 'file'", duckdb.InvalidInputException, None),
    ("write to the warehouse", "create table marts.mine as select 1 as i", duckdb.InvalidInputException, None),
]


@pytest.mark.parametrize(("sql", "error", "must_not_exist"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_the_serving_connection_refuses(published, sql, error, must_not_exist):
    folders = {"outside": published["outside"], "release": published["release"]}
    with _serving_connection(published["warehouse"]) as con:
        with pytest.raises(error):
            con.execute(sql.format(**folders)).fetchall()
        # the connection stays usable and unchanged
        assert con.execute("select value from marts.headline_figures").fetchall() == [(67,)]
        assert con.execute("select current_setting('enable_external_access'), current_setting('lock_configuration')").fetchone() \
            == (False, True)
    if must_not_exist:
        assert not Path(must_not_exist.format(**folders)).exists()
    assert sorted(p.name for p in published["release"].iterdir()) == ["openalex.duckdb"]


def test_lock_down_leaves_connections_without_the_lockdown_alone(published):
    """superset_config.py runs lock_down on every DuckDB connection; one opened without SERVING_CONNECT_ARGS (another
    database an analyst adds) keeps its file access."""
    with duckdb.connect() as con:
        provision.lock_down(con)
        assert con.execute(f"select count(*) from read_csv('{published['outside']}/secret.csv')").fetchone() == (1,)


# --- the admin password -------------------------------------------------------------------------------------------


def _init_password(home: Path, password: str | None = None, umask: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSET_")}
    env["SUPERSET_HOME"] = str(home)
    if password is not None:
        env["SUPERSET_ADMIN_PASSWORD"] = password
    return subprocess.run([sys.executable, str(PROVISION), "--init-admin-password"], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=True, preexec_fn=None if umask is None else (lambda: os.umask(umask)))


def test_first_setup_generates_a_strong_password_prints_it_once_and_keeps_it_mode_600(tmp_path):
    home = tmp_path / "superset_home"
    first = _init_password(home, umask=0)  # even a umask that lets everyone read new files
    path = home / provision.PASSWORD_FILE
    password = path.read_text().strip()
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(password) >= 20 and password != "admin"
    assert first.stdout.count(password) == 1
    stat = path.stat()

    again = _init_password(home)
    assert password not in again.stdout + again.stderr
    assert str(path) in again.stdout
    assert path.read_text().strip() == password and path.stat().st_mtime_ns == stat.st_mtime_ns
    _init_password(tmp_path / "other_home")
    assert (tmp_path / "other_home" / provision.PASSWORD_FILE).read_text().strip() != password, "a new one each first setup"


def test_a_given_password_is_kept_not_printed_and_never_overwritten(tmp_path):
    home = tmp_path / "superset_home"
    given = _init_password(home, password="chosen by the analyst")
    path = home / provision.PASSWORD_FILE
    assert path.read_text().strip() == "chosen by the analyst"
    assert "chosen by the analyst" not in given.stdout + given.stderr
    assert path.stat().st_mode & 0o777 == 0o600

    _init_password(home, password="another one later")
    _init_password(home)
    assert path.read_text().strip() == "chosen by the analyst"


def test_a_password_file_readable_by_others_is_closed_when_read(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPERSET_ADMIN_PASSWORD", raising=False)
    path = tmp_path / provision.PASSWORD_FILE
    path.write_text("put here by hand\n")
    path.chmod(0o644)
    assert provision.admin_password(tmp_path) == "put here by hand"
    assert path.stat().st_mode & 0o777 == 0o600


def test_provision_logs_in_with_the_kept_password_or_none(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPERSET_ADMIN_PASSWORD", raising=False)
    with pytest.raises(provision.SupersetError, match="no admin password"):
        provision.admin_password(tmp_path)
    provision.ensure_admin_password(tmp_path, given="kept in the file")
    assert provision.admin_password(tmp_path) == "kept in the file"
    monkeypatch.setenv("SUPERSET_ADMIN_PASSWORD", "from the environment")
    assert provision.admin_password(tmp_path) == "from the environment"
    # the client has no default credentials
    params = inspect.signature(provision.SupersetClient).parameters
    assert params["password"].default is inspect.Parameter.empty


def test_on_a_terminal_the_password_is_asked_twice_and_never_echoed(tmp_path):
    home = tmp_path / "superset_home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSET_")}
    env["SUPERSET_HOME"] = str(home)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, str(PROVISION), "--init-admin-password"], env=env,
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    screen, answers = b"", [b"short\n", b"a long enough one\n", b"a long enough one\n"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
            if answers and screen.endswith((b"one): ", b"Again: ")):  # a prompt, whole
                os.write(master, answers.pop(0))
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(master)
    text = screen.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "At least 12 characters" in text
    assert (home / provision.PASSWORD_FILE).read_text().strip() == "a long enough one"
    assert "long enough" not in text


def test_the_scripts_set_no_default_password_and_pass_none_on_a_command_line():
    for script in ("setup.sh", "serve.sh"):
        text = (ROOT / "superset" / script).read_text()
        assert not re.search(r"SUPERSET_ADMIN_PASSWORD:-[^}]", text), f"{script}: a default password"
        assert "--password" not in text, f"{script}: a password on a command line, which every user can list"
