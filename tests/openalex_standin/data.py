"""What the stand-in serves: real OpenAlex records (tests/fixtures/openalex) plus the demo generator's works.

The demo works are synthetic but built on real institution and funder records; they fill the slice the real
samples lack (Europe–China AI works of 2017–2022). See tests/fixtures/openalex/PROVENANCE.md.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openalex"
POOL_INTERNAL_FIELDS = ("role", "weight", "tags", "inherited_tags", "origin", "chinese_government")
LIST_AUTHORSHIPS = 100  # OpenAlex's list endpoints cut a work's authorships here


def list_view(rec: dict) -> dict:
    """A work as a list page shows it: authorships past the 100th cut off and `is_authors_truncated: true`.
    (The real fixture records that already carry the flag were captured from list pages: they stay as they are.)"""
    authorships = rec.get("authorships")
    if not isinstance(authorships, list) or len(authorships) <= LIST_AUTHORSHIPS:
        return rec
    return {**rec, "authorships": authorships[:LIST_AUTHORSHIPS], "is_authors_truncated": True}


@dataclass
class Dataset:
    works: list[dict]
    institutions: list[dict]
    funders: list[dict]
    sources: dict[str, str] = field(default_factory=dict)  # work id -> "real:<file>" | "demo"

    def by_entity(self, entity: str) -> list[dict]:
        return {"works": self.works, "institutions": self.institutions, "funders": self.funders}[entity]

    def with_works(self, extra: list[dict], source: str = "test") -> Dataset:
        """A copy serving `extra` works too (the cached datasets stay as they are)."""
        return Dataset(self.works + extra, self.institutions, self.funders, {**self.sources, **{w["id"]: source for w in extra}})


def _read_jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _merge(records: list[dict], into: dict[str, dict]) -> None:
    """Keep one record per id: the one with the most keys (the fullest copy)."""
    for rec in records:
        rid = rec.get("id")
        if isinstance(rid, str) and (rid not in into or len(rec) > len(into[rid])):
            into[rid] = rec


def real_works() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(FIXTURES.glob("works__*.jsonl.gz")):
        out.extend((path.name, rec) for rec in _read_jsonl_gz(path))
    return out


@lru_cache(maxsize=4)
def _load(demo_works: int, seed: int) -> Dataset:
    from dagster_project.demo_data import generator as demo

    works: dict[str, dict] = {}
    sources: dict[str, str] = {}
    for name, rec in real_works():
        if rec["id"] not in works:
            works[rec["id"]] = rec
            sources[rec["id"]] = f"real:{name}"
    pool = demo.Pool.load()
    if demo_works:
        latest, _older = demo.generate_records(demo_works, seed, pool)  # the API serves current records only
        for rec in latest:
            works[rec["id"]] = rec
            sources[rec["id"]] = "demo"
    institutions: dict[str, dict] = {}
    for path in sorted(FIXTURES.glob("*institutions*.jsonl.gz")):
        _merge(_read_jsonl_gz(path), institutions)
    for inst in pool.institutions():
        if inst["id"] not in institutions:
            institutions[inst["id"]] = {k: v for k, v in inst.items() if k not in POOL_INTERNAL_FIELDS}
    funders: dict[str, dict] = {}
    for path in sorted(FIXTURES.glob("*funders*.jsonl.gz")):
        _merge(_read_jsonl_gz(path), funders)
    for group in pool.funders.values():
        for fun in group:
            if fun["id"] not in funders:
                funders[fun["id"]] = {k: v for k, v in fun.items() if k not in POOL_INTERNAL_FIELDS}
    return Dataset(list(works.values()), list(institutions.values()), list(funders.values()), sources)


def load_dataset(demo_works: int = 6000, seed: int = 2023) -> Dataset:
    """Real fixture records plus `demo_works` generated works (cached per process; do not mutate)."""
    return _load(demo_works, seed)
