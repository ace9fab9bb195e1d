"""The raw step through Dagster when the source's files change between runs: a part file rewritten in place is
read again (its old rows replaced, the other files skipped), and a part file gone from the source takes its rows
with it. Files are known by path, size and sha256."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.demo_data.snapshot import generate_snapshot
from tests.conftest import set_warehouse_env

pytestmark = pytest.mark.slow  # three runs of the raw step


def _materialise():
    from dagster_project.assets.raw import openalex_raw

    result = dg.materialize([openalex_raw], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert result.success
    return {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()}


def _versions(build: Path, part: Path) -> set[str]:
    with duckdb.connect(str(build), read_only=True) as con:
        return {r[0] for r in con.execute("select id from raw.work_versions where _file = ?", [str(part)]).fetchall()}


def _drop_from_manifest(root: Path, part: Path) -> None:
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["entries"] = [e for e in manifest["entries"] if not part.as_posix().endswith(e["url"])]
    (root / "manifest.json").write_text(json.dumps(manifest))


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
