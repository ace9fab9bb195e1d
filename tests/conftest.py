"""Shared fixtures: every test session gets its own DAGSTER_HOME, RAW_DIR and warehouse in a temp folder."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from http.server import ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

# dbt parses the whole project again (~10–20 s) whenever the build database's path changes: the path is part of
# its profile. Every test therefore reaches its warehouse folder through one symlink, pointed at the test's own
# folder, and a process's dbt commands share one parse (DBT_TARGET_PATH). Each test process (the single one, or
# each pytest-xdist worker) claims a free slot of this checkout (an flock held for its life), so two test sessions
# in one checkout at once never share a link or a parse, and a session reuses the parse a slot's last session left.
# (Test modules import this file again as `tests.conftest`: the session's folder and the process's slot are kept in
# the environment so that both copies share them; a worker inherits the controller's environment, hence the
# worker's name in the slot's variable.)
if "WAREHOUSE_TESTS_SESSION_DIR" not in os.environ:
    os.environ["WAREHOUSE_TESTS_SESSION_DIR"] = tempfile.mkdtemp(prefix="eu-cn-ai-tests-")
_SESSION_DIR = Path(os.environ["WAREHOUSE_TESTS_SESSION_DIR"])
_CHECKOUT = Path(__file__).resolve().parent.parent
DBT_DIR = _CHECKOUT / "dbt"
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_SLOTS = Path(tempfile.gettempdir()) / f"eu-cn-ai-test-slots-{hashlib.sha256(str(_CHECKOUT).encode()).hexdigest()[:12]}"
_SLOT_VARIABLE = f"WAREHOUSE_TESTS_SLOT_{_WORKER or 'main'}"
_slot_lock: int | None = None  # the claimed slot's lock, held until the process exits


def _claim_slot() -> str:
    global _slot_lock
    _SLOTS.mkdir(exist_ok=True)
    for slot in range(64):
        fd = os.open(_SLOTS / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _slot_lock = fd
        return str(slot)
    raise RuntimeError(f"64 test processes of {_CHECKOUT} are running: no free slot in {_SLOTS}")


if _SLOT_VARIABLE not in os.environ:
    os.environ[_SLOT_VARIABLE] = _claim_slot()
_SLOT = os.environ[_SLOT_VARIABLE]
os.environ["DBT_TARGET_PATH"] = str(_CHECKOUT / "dbt" / "target" / f"tests-slot-{_SLOT}")
_LINK_DIR = _SLOTS / f"slot-{_SLOT}"
WAREHOUSE_LINK = _LINK_DIR / "warehouse"

# Imported once the worker's DBT_TARGET_PATH is set (the settings read it). The tests' file digest is the raw load's.
from dagster_project.ingest.loader import sha256_of  # noqa: E402, F401
from tests.grouping import reads_a_shared_run, xdist_group  # noqa: E402


def _point_warehouse_link(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _LINK_DIR.mkdir(exist_ok=True)
    tmp = _LINK_DIR / ".warehouse-link"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder)
    os.replace(tmp, WAREHOUSE_LINK)


# Away from the last session's (removed) folders, once per process (the controller's, each worker's): this file's
# second import (as `tests.conftest`) may come in the middle of a test.
_FIRST_IMPORT = ("tests.conftest" if __name__ == "conftest" else "conftest") not in sys.modules
if _FIRST_IMPORT or not WAREHOUSE_LINK.is_symlink():
    _point_warehouse_link(_SESSION_DIR / "unused")
os.environ["WAREHOUSE_PATH"] = str(WAREHOUSE_LINK / "openalex.duckdb")  # never the developer's warehouse


def pytest_unconfigure(config):
    if not _WORKER:  # the session's folder is the controller's to remove: a worker may finish while another runs
        shutil.rmtree(_SESSION_DIR, ignore_errors=True)


DEMO_WORKS_FOR_TESTS = 3000
DEMO_SEED_FOR_TESTS = 20



@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if reads_a_shared_run(item):  # a whole Dagster job: `make test-fast` leaves it out
            item.add_marker(pytest.mark.slow)
        item.add_marker(pytest.mark.xdist_group(xdist_group(item)))


def warehouse_path_through_link(folder: Path) -> Path:
    """The warehouse file of `folder`, named through the session's link: the path the session's dbt parse is for."""
    _point_warehouse_link(folder)
    return WAREHOUSE_LINK / "openalex.duckdb"


def set_warehouse_env(monkeypatch: pytest.MonkeyPatch, root: Path, **extra: str) -> None:
    """Point every setting at `root` (a temp folder) so tests never touch the developer's warehouse."""
    for name in ("OPENALEX_SOURCE", "OPENALEX_API_KEY", "OPENALEX_SNAPSHOT_DIR", "OPENALEX_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAW_DIR", str(root / "raw"))
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse_path_through_link(root / "warehouse")))
    monkeypatch.setenv("DEMO_WORKS", str(DEMO_WORKS_FOR_TESTS))
    monkeypatch.setenv("DEMO_SEED", str(DEMO_SEED_FOR_TESTS))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)


def dbt_build_path(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """A build database of the test's own under `root`, named through the session's link: a dbt command on it
    (`resources.dbt_resource().cli([..., *resources.dbt_vars(path)])`) reuses the session's parse of the project."""
    set_warehouse_env(monkeypatch, root)
    from dagster_project import resources
    from dagster_project.lib.owned_paths import owned_dir
    from dagster_project.settings import load_settings

    resources.prepare_dbt_project()  # the session's parse, if no run made it yet
    build_path = load_settings().build_path
    owned_dir(build_path.parent)  # the warehouse's own, as a run would make it
    return build_path


def run_dbt(build_path: Path, *args: str):
    """One dbt command through dagster-dbt on `build_path` (see dbt_build_path); returns the finished invocation
    and dbt's structured events."""
    from dagster_project import resources

    # Its artifacts go to the test's folder, not dbt/target (which would keep them); dbt's parse is copied in.
    target = build_path.parent / f"dbt-target-{uuid.uuid4().hex[:8]}"
    invocation = resources.dbt_resource().cli([*args, *resources.dbt_vars(build_path)], target_path=target,
                                              raise_on_error=False)
    events = [event.raw_event for event in invocation.stream_raw_events()]
    return invocation, events


def run_main(main, argv: list[str]) -> subprocess.CompletedProcess:
    """A command-line tool's `main(argv)` run in this process, its exit status and output as a process's would be:
    for tests that call a tool many times (a new interpreter costs seconds of start-up each time)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


INSTITUTION_MARTS = ("institution_profiles", "institution_partners", "agg_institution_years", "fct_institution_eu_cn_works")


def keep_top_institutions(con, n: int) -> None:
    """Leave only the `n` institutions ranked first in the marts an institution's page is drawn from: for a test on
    a copy of a warehouse that asserts nothing about the other pages (drawing each page's charts takes time)."""
    kept = [row[0] for row in con.execute("select institution_id from marts.institution_profiles "
                                          "order by rank_by_defence_linked_works, institution_id limit ?", [n]).fetchall()]
    for mart in INSTITUTION_MARTS:
        con.execute(f"delete from marts.{mart} where institution_id not in (select unnest(?))", [kept])


def up_to_publish(defs) -> list:
    """Every asset of the jobs up to the published warehouse: not the docs site or the report built from it (for a
    test that asserts nothing about those)."""
    import dagster as dg

    graph = defs.resolve_asset_graph()
    after_publish = dg.AssetSelection.assets(dg.AssetKey(["warehouse", "published"])).downstream(include_self=False)
    return sorted((dg.AssetSelection.all() - after_publish).resolve(graph), key=str)


def pinned(settings, root: Path):
    """`settings` with the warehouse named by its own folder, not the shared link (which the next test re-points):
    for a fixture whose warehouse outlives the test that made it."""
    return replace(settings, warehouse_path=root / "warehouse" / "openalex.duckdb")


def copy_demo_run(demo_run: dict, root: Path) -> Path:
    """Copy the session's published warehouse (with Parquet, report, docs), build file and raw landing zone."""
    src = demo_run["settings"].warehouse_path.parent
    # The published paths are links into the live release: copied as links, as the warehouse made them.
    shutil.copytree(src, root / "warehouse", symlinks=True, ignore=shutil.ignore_patterns("validations"))
    shutil.copytree(demo_run["settings"].raw_dir, root / "raw")
    return root / "warehouse" / "openalex.duckdb"


@pytest.fixture(scope="session")
def session_monkeypatch():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, session_monkeypatch):
    """One full_refresh run on a small demo snapshot, then the docs job, shared by the read-only tests."""
    import dagster as dg

    root = tmp_path_factory.mktemp("demo_run")
    set_warehouse_env(session_monkeypatch, root)
    from dagster_project.definitions import defs
    from dagster_project.demo_data.snapshot import GENERATED
    from dagster_project.settings import load_settings
    from tests.planted import truth_of

    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("full_refresh").execute_in_process(instance=instance, raise_on_error=False)
    docs = defs.resolve_job_def("docs").execute_in_process(instance=instance, raise_on_error=False) if result.success else None
    settings = pinned(load_settings(), root)
    if (settings.raw_dir / "demo" / "snapshot" / GENERATED).is_file():
        truth_of(settings.raw_dir / "demo" / "snapshot")  # truth.json beside the snapshot, for the tests to read
    return {"result": result, "docs_result": docs, "root": root, "settings": settings}


@pytest.fixture(scope="session")
def releases(demo_run, tmp_path_factory):
    """Two runs of the incremental job (update_warehouse) over a copy of the session's warehouse: the demo's second
    release (DEMO_RELEASE=2), then the same input again while another process reads the published file ten times a
    second. A watchlist names TU Munich and the alerts' webhook is a local receiver that fails its first post.
    Shared by the release history's tests (what each release changed, who was alerted) and, through `rerun`, by
    the tests of a run with nothing new to read (what it skips, what it publishes, what readers saw meanwhile)."""
    import dagster as dg

    from dagster_project.demo_data.affiliations import short_id
    from dagster_project.demo_data.generator import TUM_ROR
    from tests.planted import truth_of
    from tests.release_runs import (
        SECRET,
        WebhookReceiver,
        example_queries,
        reading_published,
        releases_and_changes,
        run_logs_and_metadata,
        tum_profile,
    )

    root = tmp_path_factory.mktemp("releases")
    published = copy_demo_run(demo_run, root)
    first = releases_and_changes(published)
    first_page = (root / "warehouse" / "report" / "changes.html").read_text(encoding="utf-8")
    # What a run whose gates failed after its dbt build leaves in the build file's history: a version nobody saw.
    with duckdb.connect(str(root / "warehouse" / "build" / "openalex.duckdb")) as con:
        con.execute("insert into history.institution_partners_history (institution_id, partner_institution_id, "
                    "partner_risk_level, dbt_valid_from) values ('I-never-published', 'I1', 'pla', now()::timestamp)")
    watchlist = root / "watchlist.yml"
    watchlist.write_text(f"institutions:\n  - id: https://ror.org/{short_id(TUM_ROR)}\n    note: watched by the test\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebhookReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    WebhookReceiver.answers[:] = [500]  # the first post fails: the retry must carry it
    WebhookReceiver.bodies.clear()
    mp = pytest.MonkeyPatch()
    set_warehouse_env(mp, root, DEMO_RELEASE="2", WATCHLIST_PATH=str(watchlist),
                      ALERTS_WEBHOOK_URL=f"http://127.0.0.1:{server.server_port}/hook?key={SECRET}")
    mp.setenv("RAW_DIR", str(root / "raw"))
    try:
        from dagster_project.definitions import defs
        from dagster_project.run import JOB
        from dagster_project.settings import load_settings

        settings = pinned(load_settings(), root)
        runs = []
        for second_run in (False, True):  # the second release, then the same input again
            with duckdb.connect(str(published), read_only=True) as con:
                figures_before = con.execute("select * from marts.headline_figures order by all").fetchall()
                marts = con.execute("select count(*) from duckdb_tables() where schema_name = 'marts'").fetchone()[0]
                old_load = con.execute("select max(loaded_at)::varchar from staging.stg_openalex__dataset").fetchone()[0]
            reading = reading_published(published, root, len(figures_before), marts) if second_run else contextlib.nullcontext({})
            with reading as reader:
                instance = dg.DagsterInstance.ephemeral()
                started = time.monotonic()
                result = defs.resolve_job_def(JOB).execute_in_process(instance=instance, raise_on_error=False)
                run_seconds = time.monotonic() - started
            runs.append({"result": result, "logs": run_logs_and_metadata(instance, result), "run_seconds": run_seconds,
                         "figures_before": figures_before, "old_load": old_load, "reader": reader.get("seen"),
                         "published": releases_and_changes(published), "posts": len(WebhookReceiver.bodies),
                         "tum_profile": tum_profile(published), "queries": example_queries(published),
                         "changes_page": (root / "warehouse" / "report" / "changes.html").read_text(encoding="utf-8")})
    finally:
        mp.undo()
        server.shutdown()
    return {"first": first, "first_page": first_page, "runs": runs, "root": root, "settings": settings,
            "published": published, "posts": list(WebhookReceiver.bodies),
            "truth_before": truth_of(demo_run["settings"].raw_dir / "demo" / "snapshot"),
            "truth_after": truth_of(root / "raw" / "demo" / "snapshot")}


@pytest.fixture(scope="session")
def rerun(releases):
    """The last of the session's release runs: update_warehouse again with nothing new to read."""
    run = releases["runs"][-1]
    return {"settings": releases["settings"], "published": releases["published"],
            **{k: run[k] for k in ("result", "figures_before", "old_load", "reader", "run_seconds")}}


@pytest.fixture(scope="session")
def marts_only_run(demo_run, tmp_path_factory):
    """The marts_only job (rebuild from the loaded raw layer, then publish) over a copy of the session's warehouse,
    with two things planted: the incremental models' fingerprint as if built from other SQL (a full rebuild is due)
    and a blocking mart check that always fails (nothing may be served). Shared by the tests of each."""
    import dagster as dg

    from dagster_project.assets.dbt_fingerprints import record_fingerprints

    root = tmp_path_factory.mktemp("marts_only_run")
    published = copy_demo_run(demo_run, root)
    served = [published, *sorted((published.parent / "parquet").iterdir()), published.parent / "report" / "index.html",
              published.parent / "docs" / "catalog.json"]
    served_before = {p: (sha256_of(p), p.stat().st_mtime_ns) for p in served}
    mp = pytest.MonkeyPatch()
    set_warehouse_env(mp, root)
    try:
        from dagster_project.assets.serving import MART_KEYS
        from dagster_project.definitions import defs
        from dagster_project.settings import load_settings

        settings = pinned(load_settings(), root)
        record_fingerprints(settings.build_path, {"incremental_models": "built from other SQL"})
        build_before = sha256_of(settings.build_path)

        @dg.asset_check(asset=MART_KEYS[0], name="planted_failure", blocking=True, description="Always fails (test).")
        def planted_failure():
            return dg.AssetCheckResult(passed=False, metadata={"why": "planted by the test"})

        test_defs = dg.Definitions.merge(defs, dg.Definitions(asset_checks=[planted_failure]))
        result = test_defs.resolve_job_def("marts_only").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    finally:
        mp.undo()
    return {"result": result, "settings": settings, "published": published, "served_before": served_before,
            "build_before": build_before}


def fake_build_file(path: Path, label: str, extra_marts: tuple[str, ...] = ()) -> Path:
    """A build database holding what the publish step reads (every mart, one row each, labelled; the data set row;
    the release log, made by the dbt macro that makes it in a real build), without a dbt build."""
    from dagster_project.assets.serving import MART_KEYS

    macro = (DBT_DIR / "macros" / "release_log.sql").read_text()
    release_log_ddl = re.search(r"create_release_log\(\) -%}(.*?){%- endmacro", macro, re.S).group(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema staging")
        con.execute("create table staging.stg_openalex__dataset as "
                    "select 'demo' as data_source, ? as dataset_label, 'fake' as source_detail", [label])
        con.execute("create table staging.stg_openalex__works as select timestamp '2024-01-01' as updated_at")
        for mart in [k.path[-1] for k in MART_KEYS] + list(extra_marts):
            con.execute(f'create table marts."{mart}" as select ? as dataset_label', [label])
        con.execute("create or replace table marts.headline_figures as select ? as dataset_label, 'set' as definition_set, "
                    "'europe' as europe_definition, 'ai' as ai_definition, 'default' as risk_list_variant", [label])
        con.execute("create or replace table marts.dim_risk_entities as select ? as dataset_label, "
                    "'2025-01-01' as as_of_date", [label])
        con.execute(release_log_ddl)
    return path
