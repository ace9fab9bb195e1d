"""The raw step through Dagster when the source's files change between runs: a part file rewritten in place is
read again (its old rows replaced, the other files skipped), and a part file gone from the source takes its rows
with it. Files are known by path, size and modification time; a file whose time moved is hashed and read again
only if its content changed."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.demo_data.snapshot import generate_snapshot
from tests.conftest import set_warehouse_env


def _materialise():
    from dagster_project.assets.raw import openalex_raw
    from dagster_project.run_guard import warehouse_resources

    result = dg.materialize([openalex_raw], resources=warehouse_resources(),
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    return {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}


def _versions(build: Path, part: Path) -> set[str]:
    with duckdb.connect(str(build), read_only=True) as con:
        return {r[0] for r in con.execute("select id from raw.work_versions where _file = ?", [str(part)]).fetchall()}


def _drop_from_manifest(root: Path, part: Path) -> None:
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["entries"] = [e for e in manifest["entries"] if not part.as_posix().endswith(e["url"])]
    (root / "manifest.json").write_text(json.dumps(manifest))


def test_a_file_touched_is_not_read_again_and_a_file_changed_is(tmp_path):
    from dagster_project.demo_data.generator import generate_records
    from dagster_project.demo_data.snapshot import write_jsonl_gz
    from dagster_project.ingest.loader import load_files
    from dagster_project.ingest.snapshot import RawFile

    works, _ = generate_records(20, seed=3)
    path = tmp_path / "updated_date=2025-01-01" / "part_0000.gz"
    raw = RawFile("works", path, "2025-01-01", write_jsonl_gz(path, works))

    def load():
        with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
            result = load_files(con, "works", [raw])
            return result.files[0], con.execute("select mtime_ns, sha256, records from raw.load_log").fetchall()

    first, [(mtime, digest, records)] = load()
    assert not first.skipped and mtime == path.stat().st_mtime_ns and records == 20
    later = mtime + 10**9
    os.utime(path, ns=(later, later))  # touched, same bytes: hashed, not read, its new time logged
    touched, logged = load()
    assert touched.skipped and logged == [(later, digest, 20)]
    assert load()[0].skipped  # size and time as logged: not even hashed
    raw = RawFile("works", path, "2025-01-01", write_jsonl_gz(path, works[:10]))  # rewritten: new time, new bytes
    changed, [(_, new_digest, new_records)] = load()
    assert not changed.skipped and new_digest != digest and new_records == 10


@pytest.mark.slow  # three runs of the raw step
def test_a_file_rewritten_in_place_is_read_again_and_a_removed_file_takes_its_rows_with_it(tmp_path, monkeypatch):
    root = tmp_path / "snapshot"
    generate_snapshot(root, 300, seed=5)
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(root))
    from dagster_project.settings import load_settings

    build = load_settings().build_path
    parts = sorted((root / "data" / "jsonl" / "works").glob("*/part_*.gz"))
    assert len(parts) >= 3
    first = _materialise()["openalex/works"]
    assert first["files"].value == len(parts) and first["files_skipped_unchanged"].value == 0

    # Rewritten in place: the same path, its first record gone.
    rewritten = parts[-1]
    lines = gzip.open(rewritten, "rt").read().splitlines()
    gone = json.loads(lines[0])["id"]  # raw ids stay as OpenAlex writes them
    assert gone in _versions(build, rewritten)
    with gzip.open(rewritten, "wt") as out:
        out.write("\n".join(lines[1:]) + "\n")
    second = _materialise()["openalex/works"]
    assert second["files_skipped_unchanged"].value == len(parts) - 1 and second["files_removed"].value == 0
    kept = _versions(build, rewritten)
    assert gone not in kept and len(kept) == len(lines) - 1

    # Removed from the source (and its manifest): its versions and its load record leave the raw layer.
    removed = parts[0]
    assert _versions(build, removed)
    removed.unlink()
    _drop_from_manifest(root, removed)
    third = _materialise()["openalex/works"]
    assert third["files_removed"].value == 1 and third["files"].value == len(parts) - 1
    assert third["files_skipped_unchanged"].value == len(parts) - 1
    assert _versions(build, removed) == set()
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute("select count(*) from raw.load_log where file = ?", [str(removed)]).fetchone()[0] == 0
        assert con.execute("select count(*) from raw.works where _file = ?", [str(removed)]).fetchone()[0] == 0
