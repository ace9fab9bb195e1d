"""Apache Superset on the published warehouse, end to end, while a pipeline run is rebuilding and republishing it.

`make superset-test` installs Superset (.venv-superset) and runs this. Skipped unless that virtualenv exists
or RUN_SUPERSET_TESTS=1 is set. The test starts Superset the way `make superset` does (superset/serve.sh) on
a free port of 127.0.0.1 with its metadata in a temporary folder, logs in through the REST API with the password
its first setup generated (admin/admin is refused), finds the locked-down read-only DuckDB database and a dataset per
mart, checks that SQL Lab can read no file and write none, and runs SQL Lab queries on a mart every half second
through a whole `make run`-style run: none may fail, and each must see the complete figures.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("SUPERSET_VENV") or ROOT / ".venv-superset")
FLAG = os.environ.get("RUN_SUPERSET_TESTS", "").lower() in ("1", "true", "yes")

pytestmark = [
    pytest.mark.superset,
    pytest.mark.skipif(not FLAG and not (VENV / "bin" / "superset").exists(),
                       reason="Superset is not installed (make superset-test, or RUN_SUPERSET_TESTS=1)"),
]

QUERY = "select metric, period, value from marts.headline_figures where metric = 'eu_cn_works' order by period"


def _client_module():
    spec = importlib.util.spec_from_file_location("superset_provision", ROOT / "superset" / "provision.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_superset_queries_a_mart_read_only_while_a_run_republishes_the_warehouse(demo_run, tmp_path):
    assert demo_run["result"].success
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    # A warehouse of our own, seeded from the session's run, that the pipeline below will republish.
    src = demo_run["settings"].warehouse_path.parent
    shutil.copytree(src, tmp_path / "warehouse", ignore=shutil.ignore_patterns("validations", ".publish-*"))
    shutil.copytree(demo_run["settings"].raw_dir, tmp_path / "raw")
    warehouse = tmp_path / "warehouse" / "openalex.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = [list(r) for r in con.execute(QUERY).fetchall()]
        marts = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
        old_load = con.execute("select max(loaded_at)::varchar from staging.stg_openalex__dataset").fetchone()[0]

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENALEX_", "DAGSTER_", "DBT_", "SUPERSET_"))}
    env.update({"SUPERSET_HOME": str(tmp_path / "superset_home"), "SUPERSET_VENV": str(VENV), "SUPERSET_PORT": str(port),
                "WAREHOUSE_PATH": str(warehouse)})
    log = open(tmp_path / "serve.log", "w")
    # No terminal: the first setup generates the admin password instead of asking for one.
    serve = subprocess.Popen([str(ROOT / "superset" / "serve.sh")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    run = None
    try:
        provision = _client_module()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 900  # a first install and database initialisation take minutes
        while "Ctrl-C to stop" not in (tmp_path / "serve.log").read_text():
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "Superset was not up and provisioned in time"
            time.sleep(1)
        timings["install_init_start_provision_s"] = time.monotonic() - t0

        # The admin password: generated, printed once by the first setup, kept in a file only its owner can read.
        password_file = tmp_path / "superset_home" / "admin_password"
        assert password_file.stat().st_mode & 0o777 == 0o600
        password = password_file.read_text().strip()
        assert (tmp_path / "serve.log").read_text().count(password) == 1
        assert f"password in {password_file}" in (tmp_path / "serve.log").read_text()
        again = subprocess.run([str(ROOT / "superset" / "setup.sh")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, check=True)
        assert password not in again.stdout + again.stderr, "a later setup prints the password again"
        with pytest.raises(provision.SupersetError, match="HTTP 401"):
            provision.SupersetClient(url, "admin", "admin").login()

        t = time.monotonic()
        client = provision.SupersetClient(url, "admin", password).login()
        timings["login_s"] = time.monotonic() - t
        db = client.database_id()
        assert db is not None
        database = client.request("GET", f"/api/v1/database/{db}/connection")["result"]
        assert json.loads(database["extra"])["engine_params"]["connect_args"] == provision.SERVING_CONNECT_ARGS
        assert database["sqlalchemy_uri"] == f"duckdb:///{warehouse}"
        settings = "current_setting('access_mode') as mode, current_setting('enable_external_access') as ext, " \
                   "current_setting('lock_configuration') as locked"
        assert client.sql(db, f"select {settings}")["data"] == [{"mode": "read_only", "ext": False, "locked": True}]

        # SQL Lab reads no file but the warehouse and writes none, not even beside the published file.
        release = warehouse.resolve().parent
        refused = {
            "select * from read_text('/etc/passwd')": "Permission Error",
            f"select * from read_csv('{tmp_path / 'serve.log'}')": "Permission Error",
            f"copy (select 1 as i) to '{tmp_path / 'copied.csv'}'": "Permission Error",
            f"copy (select 1 as i) to '{release / 'openalex.duckdb.wal'}' (format csv)": "Permission Error",
            f"attach '{tmp_path / 'new.duckdb'}' as new": "Permission Error",
            "set enable_external_access = true": "locked",
        }
        for sql, error in refused.items():
            with pytest.raises(provision.SupersetError, match=error):
                client.sql(db, sql)
        assert not any(p.exists() for p in (tmp_path / "copied.csv", tmp_path / "new.duckdb", release / "openalex.duckdb.wal"))
        datasets = {(d[0], d[1]) for d in client.datasets(db)}
        assert {("marts", m) for m in marts} <= datasets, "a dataset per mart"

        t = time.monotonic()
        answer = client.sql(db, QUERY)
        timings["first_query_s"] = time.monotonic() - t
        assert [[r["metric"], r["period"], r["value"]] for r in answer["data"]] == expected

        # Now a pipeline run rebuilds and republishes the same file while Superset keeps querying it.
        run_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENALEX_", "DAGSTER_"))}
        run_env.update({"RAW_DIR": str(tmp_path / "raw"), "WAREHOUSE_PATH": str(warehouse),
                        "DAGSTER_HOME": str(tmp_path / "dagster_home"), "DAGSTER_DISABLE_TELEMETRY": "1"})
        (tmp_path / "dagster_home").mkdir()
        run_started = time.monotonic()
        run = subprocess.Popen([sys.executable, "-m", "dagster_project.run"], cwd=ROOT, env=run_env,
                               stdout=open(tmp_path / "run.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
        latencies, errors, wrong, loads = [], [], [], set()
        while run.poll() is None or time.monotonic() - run_started < 5:
            t = time.monotonic()
            try:
                rows = [[r["metric"], r["period"], r["value"]] for r in client.sql(db, QUERY)["data"]]
                latencies.append(time.monotonic() - t)
                if rows != expected:
                    wrong.append(rows)
                loads.add(client.sql(db, "select max(loaded_at)::varchar as l from staging.stg_openalex__dataset")["data"][0]["l"])
            except Exception as exc:  # noqa: BLE001 - every failure counts
                errors.append(str(exc)[:300])
            time.sleep(max(0.0, 0.5 - (time.monotonic() - t)))
        timings["run_s"] = time.monotonic() - run_started
        assert run.returncode == 0, (tmp_path / "run.log").read_text()[-3000:]
        new_load = json.loads((warehouse.parent / "parquet" / "_published.json").read_text())["published_at"]
        print(
            f"\nSuperset: up and provisioned in {timings['install_init_start_provision_s']:.0f} s, login {timings['login_s']:.2f} s, "
            f"first SQL Lab query {timings['first_query_s']:.2f} s; during a {timings['run_s']:.0f} s run: "
            f"{len(latencies)} queries, errors {len(errors)}, wrong answers {len(wrong)}, "
            f"latency median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s, warehouses seen {len(loads)}"
        )
        assert errors == [], errors[:5]
        assert wrong == []
        assert len(latencies) >= 10
        assert old_load in loads and len(loads) == 2, f"Superset should see the old warehouse, then the new one ({new_load})"
    finally:
        if run is not None:
            _stop(run)
        _stop(serve)
        log.close()
