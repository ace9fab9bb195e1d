"""Writes the demo generator's records as an OpenAlex snapshot (2026 layout). The figures planted in it are the
tests' to work out (tests/planted), not the package's."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path

from .generator import GENERATOR_VERSION, Pool, generate_records
from .plants import strip_for_snapshot
from .second_release import PARTITION as SECOND_RELEASE_PARTITION
from .second_release import second_release_records


def write_jsonl_gz(path: Path, records: list[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as out:
        for rec in records:
            out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    tmp.replace(path)
    return len(records)


GENERATED = "generator.json"  # the generator's parameters and counts, beside the snapshot it wrote


def snapshot_records(n_works: int, seed: int, pool: Pool) -> tuple[list[dict], list[dict]]:
    """The newest version of each work as the snapshot writes it, and the superseded older versions."""
    latest, older = generate_records(n_works, seed, pool)
    return strip_for_snapshot(latest, pool), older


def generate_snapshot(out_dir: Path, n_works: int, seed: int, part_size: int = 50_000, release: int = 1) -> dict:
    """Writes `out_dir/data/jsonl/{works,institutions,funders}/updated_date=.../part_NNNN.gz` and
    `out_dir/manifest.json`; returns the generator's parameters and counts (also saved as `out_dir/generator.json`,
    which makes a second call with the same parameters a no-op). Release 2 adds the later partition of
    second_release.py; release 1 removes it."""
    out_dir = Path(out_dir)
    params = {"n_works": n_works, "seed": seed, "version": GENERATOR_VERSION, "part_size": part_size}
    if release != 1:  # absent for release 1, so a first release's snapshot stays the one it always was
        params["release"] = release
    done_file = out_dir / GENERATED
    if done_file.exists():
        cached = json.loads(done_file.read_text())
        if cached.get("params") == params:
            return cached
    pool = Pool.load()
    latest, older = snapshot_records(n_works, seed, pool)
    entries = []
    data = out_dir / "data" / "jsonl"
    by_partition: dict[str, list[dict]] = defaultdict(list)
    for rec in older + latest:
        by_partition[rec["updated_date"][:10]].append(rec)
    later = second_release_records(latest, pool) if release == 2 else []
    for rec in later:
        by_partition[SECOND_RELEASE_PARTITION].append(rec)
    stale = data / "works" / f"updated_date={SECOND_RELEASE_PARTITION}"
    if not later and stale.is_dir():  # written by an earlier release-2 call into this (the warehouse's) folder
        for part in stale.glob("part_*.gz"):
            part.unlink()
        stale.rmdir()
    for date in sorted(by_partition):
        recs = by_partition[date]
        for k in range(0, len(recs), part_size):
            path = data / "works" / f"updated_date={date}" / f"part_{k // part_size:04d}.gz"
            count = write_jsonl_gz(path, recs[k : k + part_size])
            entries.append({"url": str(path.relative_to(out_dir)), "meta": {"record_count": count, "content_length": path.stat().st_size}})
    updated = {"updated_date": "2026-03-02T00:00:00"}
    pool_only = {"role", "weight", "tags", "inherited_tags", "origin", "chinese_government"}  # the pool's own notes
    funders = pool.funders.get("CN", []) + pool.funders.get("EU", []) + pool.funders.get("OTHER", [])
    for entity, records in (
        ("institutions", [{k: v for k, v in i.items() if k not in pool_only} | updated for i in pool.institutions()]),
        ("funders", [{k: v for k, v in f.items() if k not in pool_only} | updated for f in funders]),
    ):
        path = data / entity / "updated_date=2026-03-02" / "part_0000.gz"
        count = write_jsonl_gz(path, records)
        entries.append({"url": str(path.relative_to(out_dir)), "meta": {"record_count": count, "content_length": path.stat().st_size}})
    (out_dir / "manifest.json").write_text(json.dumps({"entries": entries}, indent=1))
    done = {"params": params, "records_written": len(latest) + len(older) + len(later), "superseded": len(older) + len(later)}
    done_file.write_text(json.dumps(done, indent=1, sort_keys=True))
    return done

