"""Never lose a user's file, never run twice at once, never say what did not happen.

Each probe of a hostile user, with real processes where two meet: a user's folder or file where the warehouse
writes, two runs at once, a killed holder, a step that fails after the publish, input that would be a shell
command, a quote in a path, a full disk.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.lib.owned_paths import MARKER, ForeignPathError, foreign_path_problem
from dagster_project.settings import PROJECT_ROOT, load_settings
from tests.conftest import copy_demo_run, fake_build_file, set_warehouse_env, sha256_of

EXIT_BUSY = 75
HOLD = """
import sys, time
from dagster_project.settings import load_settings
from dagster_project.lib.run_lock import writer_lock
with writer_lock(load_settings()):
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def _env(root: Path, **extra: str) -> dict[str, str]:
    """A child process's environment: the warehouse, landing zone and Dagster home under `root`, nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENALEX_", "DEMO_", "PUBLISH_", "WAREHOUSE_", "RAW_"))}
    env.update({"WAREHOUSE_PATH": str(root / "wh" / "openalex.duckdb"), "RAW_DIR": str(root / "raw"),
                "DAGSTER_HOME": str(root / "dagster_home"), "DEMO_WORKS": "300"})
    env.update(extra)
    return env


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its digest (symlinks by target): what must stay exactly as the user left it."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            out[str(path)] = "-> " + os.readlink(path)
        elif path.is_file():
            out[str(path)] = sha256_of(path)
    return out


# --- the warehouse owns only what it created -------------------------------------------------------------------

def _plant(kind: str, wh: Path, raw: Path) -> Path:
    """A user's file or folder where the warehouse writes; returns the path the refusal must name."""
    wh.mkdir(parents=True, exist_ok=True)
    if kind == "duckdb file at WAREHOUSE_PATH":
        with duckdb.connect(str(wh / "openalex.duckdb")) as con:
            con.execute("create table my_notes as select 'mine' as note")
        return wh / "openalex.duckdb"
    if kind == "current link elsewhere":
        (wh / "elsewhere").mkdir()
        (wh / "elsewhere" / "thesis.txt").write_text("mine")
        (wh / "current").symlink_to("elsewhere")
        return wh / "current"
    if kind == "raw landing folder":
        (raw / "demo").mkdir(parents=True)
        (raw / "demo" / "notes.txt").write_text("mine")
        return raw / "demo"
    folder = wh / kind.split()[0]  # "parquet folder", "docs folder", …
    folder.mkdir()
    (folder / "mine.txt").write_text("the user's")
    return folder


FOREIGN = ["parquet folder", "docs folder", "report folder", "releases folder", "build folder", "logs folder",
           "duckdb file at WAREHOUSE_PATH", "current link elsewhere", "raw landing folder"]


@pytest.mark.parametrize("kind", FOREIGN)
def test_a_users_file_or_folder_where_the_warehouse_writes_is_refused_by_name_and_left_as_it_was(tmp_path, kind):
    from dagster_project.run_guard import guarded_run

    wh, raw = tmp_path / "wh", tmp_path / "raw"
    named = _plant(kind, wh, raw)
    before = _tree(tmp_path)
    settings = load_settings({"WAREHOUSE_PATH": str(wh / "openalex.duckdb"), "RAW_DIR": str(raw)})
    assert foreign_path_problem(settings) is not None
    with pytest.raises(ForeignPathError) as refused, guarded_run(settings):
        pytest.fail("the run must not start")
    message = str(refused.value)
    assert f"'{named}'" in message and "\n" not in message and "nothing was changed" in message
    after = {p: d for p, d in _tree(tmp_path).items() if not Path(p).name.endswith(".lock")}
    assert after == before


def test_make_run_refuses_a_users_parquet_folder_before_any_work_and_exits_2(tmp_path):
    wh = tmp_path / "wh"
    (wh / "parquet").mkdir(parents=True)
    (wh / "parquet" / "my_results.parquet").write_bytes(b"the user's own")
    before = _tree(tmp_path)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "dagster_project.run"], cwd=PROJECT_ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"'{wh / 'parquet'}' is a folder the warehouse did not create, and the warehouse writes there: nothing was "
        "changed; move it away or set WAREHOUSE_PATH (or RAW_DIR) to a folder of its own."]
    assert {p: d for p, d in _tree(tmp_path).items() if not p.endswith(".lock")} == before
    assert not (tmp_path / "dagster_home").exists() and not (wh / "build").exists()
    assert time.monotonic() - started < 30  # before Dagster, dbt or any file was opened



def test_publishing_removes_only_releases_it_made_and_a_quote_in_the_path_is_data(tmp_path):
    from dagster_project.assets.serving import activate_release, stage_release

    # A quote and a semicolon in the path: paths are SQL literals or parameters, never pasted as code.
    target = tmp_path / "it's; drop" / "openalex.duckdb"
    first, _ = stage_release(fake_build_file(tmp_path / "a" / "openalex.duckdb", "A"), target)
    activate_release(first, target)
    # The user keeps notes among the releases, named to sort first (the oldest are pruned) and like a staging folder.
    releases = target.parent / "releases"
    for name in ("00000000-my-notes", ".staging-my-draft"):
        (releases / name).mkdir()
        (releases / name / "notes.txt").write_text("mine")
    for label in "BCD":
        release, _ = stage_release(fake_build_file(tmp_path / label / "openalex.duckdb", label), target)
        activate_release(release, target)
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select dataset_label from marts.headline_figures").fetchone()[0] == "D"
    kept = sorted(p.name for p in releases.iterdir())
    assert "00000000-my-notes" in kept and ".staging-my-draft" in kept
    assert (releases / "00000000-my-notes" / "notes.txt").read_text() == "mine"
    assert len([p for p in releases.iterdir() if (p / MARKER).is_file()]) == 2  # the live release and the one before


# --- one writer at a time --------------------------------------------------------------------------------------

def _hold(env: dict[str, str], seconds: float = 300) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(seconds)], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_is_refused_naming_the_holder_and_a_killed_holders_lock_is_taken_over(tmp_path):
    env = _env(tmp_path)
    holder = _hold(env)
    try:
        done = subprocess.run([sys.executable, "-m", "dagster_project.run"], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == EXIT_BUSY
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pid {holder.pid}, started " in lines[0], done.stderr
        assert lines[0].startswith(f"The warehouse '{tmp_path / 'wh' / 'openalex.duckdb'}' is being written by another run")
        assert not (tmp_path / "dagster_home").exists()  # refused before Dagster's instance was opened
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The kernel dropped the dead holder's lock: the next writer takes it at once.
    taker = _hold(env, seconds=0)
    assert taker.wait(timeout=60) == 0


def test_a_run_launched_from_the_ui_or_a_schedule_is_refused_before_its_first_step(tmp_path, monkeypatch):
    set_warehouse_env(monkeypatch, tmp_path)
    settings = load_settings()
    env = _env(tmp_path, WAREHOUSE_PATH=str(settings.warehouse_path), RAW_DIR=str(settings.raw_dir))
    holder = _hold(env)
    try:
        from dagster_project.definitions import defs

        result = defs.resolve_job_def("update_warehouse").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert not result.success
    assert not [e for e in result.all_events if e.is_step_start]
    failure = next(e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE")
    error = failure.event_specific_data.error
    assert "is being written by another run" in error.message and f"pid {holder.pid}" in error.message


# Two `make run` at once on a new Dagster home: tests/test_real_records.py, whose real-records run is that race.


@pytest.mark.slow  # two Python processes loading Dagster at once
def test_two_processes_opening_a_new_dagster_home_at_once_leave_it_usable(tmp_path):
    env = _env(tmp_path)
    (tmp_path / "dagster_home").mkdir()
    openers = [subprocess.Popen([sys.executable, "-m", "dagster_project.instance"], cwd=PROJECT_ROOT, env=env,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [opener.communicate(timeout=120)[1] for opener in openers]
    assert [o.returncode for o in openers] == [0, 0, 0], errors
    instance = dg.DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    assert instance.get_runs() == []
    instance.dispose()


# --- the last line tells the truth --------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_step_failing_after_the_publish_says_the_new_release_went_live(demo_run, tmp_path, monkeypatch, capsys):
    from dagster_project.assets.serving import PUBLISHED_KEY
    from dagster_project.definitions import defs
    from dagster_project.lib.owned_paths import release_of_current
    from dagster_project.run import execute_job, report_failure

    published = copy_demo_run(demo_run, tmp_path)
    set_warehouse_env(monkeypatch, tmp_path)
    settings = load_settings()

    @dg.asset(deps=[PUBLISHED_KEY])
    def after_publish():
        raise RuntimeError("planted: the step after the publish fails")

    job = dg.define_asset_job("publish_then_fail", selection=dg.AssetSelection.assets(PUBLISHED_KEY, after_publish))
    test_defs = dg.Definitions.merge(defs, dg.Definitions(assets=[after_publish], jobs=[job]))
    result, _, before, after = execute_job(settings, "publish_then_fail", defs=test_defs)
    assert not result.success and before != after == release_of_current(published)
    report_failure(settings, result, before, after)
    said = capsys.readouterr().err
    assert f"a new release went live before it stopped: {after}" in said
    assert "left as it was" not in said


# --- input never becomes a command ----------------------------------------------------------------------------------

def test_make_passes_values_as_data_never_as_shell_code(tmp_path):
    pwned = tmp_path / "pwned"
    payloads = [f'"; touch {pwned}-1; echo "', f"`touch {pwned}-2`", f"$(touch {pwned}-3)", f"$(shell touch {pwned}-4)",
                f"'; touch {pwned}-5; echo '"]
    env = _env(tmp_path)
    # All at once: each is its own make and Python, and none writes anything.
    probes = [subprocess.Popen(["make", "-s", "profile", f"INSTITUTION={payload}"], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for payload in payloads]
    # A path from the environment is data too.
    sql = subprocess.Popen(["make", "-s", "sql"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=_env(tmp_path, WAREHOUSE_PATH=f"{tmp_path}/$(shell touch {pwned}-6)/`touch {pwned}-7`.duckdb"))
    for probe in probes:
        _, err = probe.communicate(timeout=120)
        assert probe.returncode != 0 and "No published warehouse" in err, err
    _, err = sql.communicate(timeout=120)
    assert sql.returncode != 0 and "No warehouse yet" in err, err
    assert not list(tmp_path.glob("pwned*"))


# --- a full disk ----------------------------------------------------------------------------------------------------

def _bytes_under(*folders: Path) -> int:
    return sum(f.lstat().st_size for folder in folders for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


@pytest.fixture
def small_disk(tmp_path, demo_run):
    """A file system of its own (tmpfs; needs root, as CI and this machine run), sized to hold a copy of the
    session's run with 16 MiB to spare, so the demo can grow without the copy itself filling it."""
    settings = demo_run["settings"]
    size_mib = _bytes_under(settings.warehouse_path.parent, settings.raw_dir) // 2**20 + 16
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_a_full_disk_is_one_sentence_with_the_folder_and_the_space_and_no_logging_storm(demo_run, small_disk):
    published = copy_demo_run(demo_run, small_disk)
    live = os.readlink(published.parent / "current")
    filler = small_disk / "filler"
    with filler.open("wb") as out:  # leave ~64 KiB: the report's pages cannot be written, nor the run's log
        while os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize > 64 * 1024:
            out.write(b"\0" * 16 * 1024)
    env = _env(small_disk, WAREHOUSE_PATH=str(published), RAW_DIR=str(small_disk / "raw"),
               DAGSTER_HOME=str(small_disk.parent / "dagster_home"))
    (small_disk.parent / "dagster_home").mkdir()
    (small_disk.parent / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run([sys.executable, "-m", "dagster_project.serve", "report"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "Logging error" not in said and "Traceback" not in said
    assert f"The disk holding '{published.parent}' is full" in done.stderr and "free at least" in done.stderr
    # The log file's one sentence, the run's, the disk's.
    assert len(done.stderr.strip().splitlines()) == 3, done.stderr
    assert os.readlink(published.parent / "current") == live


@pytest.mark.slow
def test_make_profile_writes_its_page_only_into_the_warehouses_own_report_folder(demo_run, tmp_path, monkeypatch, capsys):
    from dagster_project import profile_cli

    copy_demo_run(demo_run, tmp_path)
    set_warehouse_env(monkeypatch, tmp_path)
    published = load_settings().warehouse_path  # through the session's link, as the command names it
    report = published.parent / "report"
    ror = duckdb.connect(str(published), read_only=True).execute(
        "select institution_ror from marts.institution_profiles where institution_ror is not null limit 1").fetchone()[0]
    report.rename(tmp_path / "old-report")
    report.mkdir()
    (report / "index.html").write_text("the user's own page")
    assert profile_cli.main([ror]) == 1
    said = capsys.readouterr().err
    assert f"'{report}' is a folder the warehouse did not create" in said and "--page-dir" in said
    assert [p.name for p in report.iterdir()] == ["index.html"]
    (report / "index.html").unlink()
    report.rmdir()
    assert profile_cli.main([ror]) == 0  # absent: made, marked, written
    assert (report / MARKER).is_file() and list((report / "institutions").glob("*.html"))


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this user cannot write: a read-only file system (root writes through file modes)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only file system here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_warehouse_folder_is_one_sentence_at_start_up(tmp_path, read_only_folder):
    done = subprocess.run([sys.executable, "-m", "dagster_project.run"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=_env(tmp_path, WAREHOUSE_PATH=str(read_only_folder / "wh" / "openalex.duckdb")), timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"WAREHOUSE_PATH: '{read_only_folder}' is not writable by this user, so the warehouse cannot write "
        f"'{read_only_folder / 'wh'}'."]


@pytest.mark.slow
def test_two_processes_loading_the_definitions_at_once_parse_the_project_once_and_whole(tmp_path):
    """`make run` beside `make dev` on a new checkout: both load the code location, which parses the dbt project
    when its manifest is missing; they must not write one target folder together (a torn manifest.json broke every
    later run)."""
    target = tmp_path / "dbt-target"
    env = _env(tmp_path, DBT_TARGET_PATH=str(target))
    loaders = [subprocess.Popen([sys.executable, "-c", "import dagster_project.definitions"], cwd=PROJECT_ROOT, env=env,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [loader.communicate(timeout=300)[1] for loader in loaders]
    assert [loader.returncode for loader in loaders] == [0, 0], errors
    manifest = json.loads((target / "manifest.json").read_text())
    assert any(key.endswith(".headline_figures") for key in manifest["nodes"])
    # One parse: the second process found the first's fresh and made none of its own.
    parses = [line for line in (target / "dbt.log").read_text().splitlines() if "Running with dbt=" in line]
    assert len(parses) == 1, parses
