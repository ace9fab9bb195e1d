"""The serving connection Superset opens on the published warehouse reads that file and nothing else.

The connection is opened here exactly as Superset opens it: duckdb.connect() with provision.py's SERVING_CONNECT_ARGS
(what duckdb-engine receives as connect_args), then provision.lock_down() (what superset_config.py runs on every new
DuckDB connection), through the real duckdb library on a file laid out as a run publishes it. No Superset needed:
provision.py is standard library only.
"""

from __future__ import annotations

import importlib.util
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
