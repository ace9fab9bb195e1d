"""The real Dagster webserver: the asset graph over GraphQL, and a run launched through it.

The webserver runs on 127.0.0.1 with a temporary DAGSTER_HOME whose dagster.yaml uses the default run
coordinator, so `launchRun` starts the run at once in a subprocess (the default run launcher) without a
daemon. `make dev` (dagster dev) runs the daemon and queues runs instead.

Starting the webserver takes ~10 s here (it loads the code location, on the test process's dbt parse). Its source is
a snapshot folder without works, so the run launched through it stops at its first step, as it must: the launch, the
run worker's own load of the code location and resources, a step and its failure reported back over GraphQL, in
seconds rather than a whole build's ~100 s (a whole run to the end is tests/test_real_records.py's, through `make run`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DEMO_WORKS_FOR_TESTS, warehouse_path_through_link

pytestmark = pytest.mark.slow  # the Dagster webserver

ROOT = Path(__file__).resolve().parent.parent
JOB = "update_warehouse"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GraphQL:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/graphql"

    def __call__(self, query: str, **variables) -> dict:
        req = urllib.request.Request(self.url, json.dumps({"query": query, "variables": variables}).encode(),
                                     {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            answer = json.loads(resp.read())
        assert "errors" not in answer, answer["errors"]
        return answer["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    root = tmp_path_factory.mktemp("webserver")
    (root / "empty_snapshot").mkdir()
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    # The test process's dbt parse (DBT_TARGET_PATH), made for a warehouse named through the session's link: the
    # code location then loads without parsing the project again (~15 s).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENALEX_", "DAGSTER_", "DBT_")) or k == "DBT_TARGET_PATH"}
    env.update({
        "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false", "RAW_DIR": str(root / "raw"),
        "WAREHOUSE_PATH": str(warehouse_path_through_link(root / "warehouse")), "DEMO_WORKS": str(DEMO_WORKS_FOR_TESTS),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "OPENALEX_SOURCE": "snapshot", "OPENALEX_SNAPSHOT_DIR": str(root / "empty_snapshot"),
    })
    port = _free_port()
    log = open(root / "webserver.log", "w")
    started = time.monotonic()
    # Its own session, so the whole process group (webserver, code server, run workers) can be stopped.
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-m", "dagster_project.definitions"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited: {(root / 'webserver.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
                    break
            except OSError as exc:
                if time.monotonic() - started > 120:
                    raise RuntimeError("dagster-webserver did not answer within 120 s") from exc
                time.sleep(0.5)
        yield {"gql": GraphQL(port), "root": root, "startup_s": time.monotonic() - started, "log": root / "webserver.log"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        try:  # the code server child may outlive the webserver by a moment
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


ASSET_NODES = """
{ assetNodes {
    assetKey { path } groupName description owners { ... on TeamAssetOwner { team } }
    dependencyKeys { path }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
} }
"""


def test_the_asset_graph_runs_raw_to_staging_to_marts_to_serving_with_checks(webserver):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in webserver["gql"](ASSET_NODES)["assetNodes"]}
    groups = {k: n["groupName"] for k, n in nodes.items()}
    assert groups["openalex/works"] == "raw"
    assert groups["staging/stg_openalex__works"] == "staging"
    assert groups["marts/headline_figures"] == "marts"
    assert groups["warehouse/published"] == groups["reports/study_report"] == "serving"
    deps = {k: {"/".join(d["path"]) for d in n["dependencyKeys"]} for k, n in nodes.items()}
    assert any("openalex/works" in d for k, d in deps.items() if groups[k] == "staging")
    marts = {k for k, g in groups.items() if g == "marts"}
    assert marts <= deps["warehouse/published"]
    assert "warehouse/published" in deps["reports/study_report"]
    for key, node in nodes.items():  # every asset says what it is and who owns it
        if groups[key] != "reference":
            assert node["description"], key
        assert node["owners"], key
    checks = {k: {c["name"]: c["blocking"] for c in (n["assetChecksOrError"].get("checks") or [])} for k, n in nodes.items()}
    assert checks["openalex/works"].get("contract") is True
    assert checks["marts/headline_figures"].get("yearly_figures_sum_to_span") is True
    assert "serving_copy_matches_build" in checks["warehouse/published"]
    assert "tiles_show_the_published_figures" in checks["reports/study_report"]
    assert any(checks[k] for k in nodes if k.startswith("staging/"))  # dbt tests arrive as checks


LAUNCH = """
mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
} }
"""
RUN = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }"
LOGS = """
query($id: ID!, $cursor: String) { logsForRun(runId: $id, afterCursor: $cursor, limit: 2000) {
    ... on EventConnection { cursor hasMore events {
        __typename
        ... on AssetCheckEvaluationEvent { evaluation { assetKey { path } checkName success severity } }
        ... on MaterializationEvent { assetKey { path } }
        ... on ExecutionStepFailureEvent { stepKey error { message } }
    } }
} }
"""


def test_a_run_launched_through_graphql_runs_in_its_own_process_and_reports_its_failing_step(webserver):
    gql = webserver["gql"]
    entries = gql("{ workspaceOrError { ... on Workspace { locationEntries { name } } } }")["workspaceOrError"]["locationEntries"]
    location = entries[0]["name"]
    started = time.monotonic()
    launched = gql(LAUNCH, params={
        "selector": {"repositoryLocationName": location, "repositoryName": "__repository__", "jobName": JOB},
        "runConfigData": {},
    })["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = None
    while time.monotonic() - started < 600:
        status = gql(RUN, id=run_id)["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    events, cursor = [], None
    while True:
        page = gql(LOGS, id=run_id, cursor=cursor)["logsForRun"]
        events += page["events"]
        cursor = page["cursor"]
        if not page["hasMore"]:
            break
    failures = [(e["stepKey"], e["error"]["message"]) for e in events if e["__typename"] == "ExecutionStepFailureEvent"]
    print(f"\nwebserver up in {webserver['startup_s']:.0f} s; {JOB} via launchRun: {status} in {time.monotonic() - started:.0f} s")
    assert status == "FAILURE"
    [(step, message)] = failures
    assert step == "openalex_raw"
    assert f"OPENALEX_SNAPSHOT_DIR='{webserver['root'] / 'empty_snapshot'}' holds no works part files" in message
    assert not [e for e in events if e["__typename"] == "MaterializationEvent"]
    assert not (webserver["root"] / "warehouse" / "openalex.duckdb").exists()
