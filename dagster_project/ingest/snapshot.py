"""Find the part files of an OpenAlex snapshot on disk, in either layout, with their manifest counts.

Layouts: before 2026 `<dir>/[data/]<entity>/updated_date=YYYY-MM-DD/part_NNN.gz` with a Redshift-style
`manifest` per entity; from 2026 `<dir>/data/jsonl/<entity>/updated_date=.../part_NNNN.gz` with
`manifest.json`. Only the file list is built here: the files are streamed by DuckDB, never read whole.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

_TAIL = re.compile(r"(updated_date=[^/]+/[^/]+)$")


@dataclass(frozen=True)
class RawFile:
    entity: str
    path: Path
    partition: str | None  # e.g. "2026-03-02"
    expected_records: int | None  # from the manifest, when one lists the file


@dataclass(frozen=True)
class SnapshotListing:
    entity: str
    base: Path | None
    files: list[RawFile]
    manifest: Path | None
    manifest_files: int  # files the manifest lists
    missing_from_disk: list[str]  # listed in the manifest but not present


def _entity_dir(root: Path, entity: str) -> Path | None:
    for base in (root / "data" / "jsonl" / entity, root / "data" / entity, root / entity):
        if base.is_dir():
            return base
    return None


def _manifest_counts(root: Path, base: Path, entity: str) -> tuple[Path | None, dict[str, int]]:
    """Map `updated_date=.../part_x.gz` -> record_count from whichever manifest applies."""
    for candidate in (base / "manifest", base / "manifest.json", root / "manifest.json", root / "data" / "manifest.json"):
        if not candidate.is_file():
            continue
        doc = json.loads(candidate.read_text())
        counts = {}
        for entry in doc.get("entries", []):
            url = entry.get("url", "")
            if f"/{entity}/" not in "/" + url:
                continue
            tail = _TAIL.search(url)
            if tail and "record_count" in entry.get("meta", {}):
                counts[tail.group(1)] = int(entry["meta"]["record_count"])
        if counts:
            return candidate, counts
    return None, {}


def list_snapshot(root: Path, entity: str) -> SnapshotListing:
    root = Path(root)
    base = _entity_dir(root, entity)
    if base is None:
        return SnapshotListing(entity, None, [], None, 0, [])
    manifest, counts = _manifest_counts(root, base, entity)
    files = []
    for path in sorted(base.glob("updated_date=*/part_*")):
        if path.suffix not in (".gz", ".json", ".jsonl") or path.name.endswith(".tmp"):
            continue
        tail = f"{path.parent.name}/{path.name}"
        files.append(RawFile(entity, path, path.parent.name.split("=", 1)[1], counts.get(tail)))
    present = {f"{f.path.parent.name}/{f.path.name}" for f in files}
    missing = sorted(set(counts) - present)
    return SnapshotListing(entity, base, files, manifest, len(counts), missing)
