"""A realistic OpenAlex works snapshot for the benchmark: records of the real size and shape, few of them in the
study's universe, some of those carrying planted figures.

* Every line is built on a real OpenAlex work record (tests/fixtures/openalex/samples, see its PROVENANCE.md)
  as a template: its abstract (inverted index), reference and related-work lists, locations, counts by year and
  the rest are kept as they are (10–20 KB of JSON a line); id, DOI, year, dates and institutions are fresh.
* About 1.5 % of the lines are the demo generator's works (`dagster_project.demo_data`), most of them AI works
  of the study's years, with the real templates' other fields added around them: they carry the planted figures
  (`truth.json`, computed by the tests' planted truth from those works alone) and their superseded older versions.
* The other lines are works of other fields (the AI concept and AI topics stripped) in the study's years, or
  works of any field in other years: they are outside the universe and change no figure.

Written like a 2026 snapshot (`data/jsonl/works/updated_date=…/part_NNNN.gz`, `manifest.json` with record
counts), with the demo pool's institutions and funders beside the works. Cached: a second call with the same
parameters returns at once.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dagster_project.demo_data import generator as demo  # noqa: E402
from dagster_project.demo_data.snapshot import write_jsonl_gz  # noqa: E402
from dagster_project.ingest.raw_schema import COLUMNS  # noqa: E402
from tests.planted.planted_truth import expected_figures  # noqa: E402  (a dev script: the tests' oracle)

SAMPLES = ROOT / "tests" / "fixtures" / "openalex" / "samples"
VERSION = 1
PLANTED_SHARE = 0.015
FILLER_PARTITIONS = ["2025-11-11", "2026-01-20", "2026-03-02", "2026-05-11"]
# Fields the pipeline reads come from the planted work, never from the template (they would change figures).
READ_FIELDS = set(COLUMNS["works"])
AI_SUBFIELDS = ("/1702", "/1707")
AI_CONCEPT = "/" + demo.AI_CONCEPT.rsplit("/", 1)[-1]
AUTHORSHIP_INSTITUTION = ("id", "display_name", "ror", "country_code", "type", "lineage")
POOL_INTERNAL = ("role", "weight", "tags", "inherited_tags", "origin", "chinese_government")


def _templates() -> list[dict]:
    """Full real work records with an abstract, references and locations, 6–20 KB of JSON."""
    out = []
    for path in sorted(SAMPLES.glob("works__*.jsonl.gz")):
        if "select-subset" in path.name:
            continue
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh.read().split("\n"):
                if not line.strip() or not 6_000 <= len(line) <= 20_000:
                    continue
                rec = json.loads(line)
                if rec.get("abstract_inverted_index") and rec.get("referenced_works") and rec.get("locations"):
                    out.append(rec)
    return out


def _not_ai(rec: dict) -> dict:
    """The template without the AI concept and AI topics: a work of another field under every definition."""
    rec = dict(rec)
    rec["concepts"] = [c for c in rec.get("concepts") or [] if not (c.get("id") or "").endswith(AI_CONCEPT)]
    rec["topics"] = [t for t in rec.get("topics") or [] if not ((t.get("subfield") or {}).get("id") or "").endswith(AI_SUBFIELDS)]
    primary = rec.get("primary_topic") or {}
    if ((primary.get("subfield") or {}).get("id") or "").endswith(AI_SUBFIELDS):
        rec["primary_topic"] = rec["topics"][0] if rec["topics"] else None
    return rec


class _Filler:
    """Lines outside the universe, as text: each template serialised once, with fresh values spliced in."""

    def __init__(self, templates: list[dict], pool: demo.Pool, rng: random.Random):
        self.rng = rng
        self.institutions = [json.dumps({k: i[k] for k in AUTHORSHIP_INSTITUTION}) for i in pool.institutions()]
        self.parts = []
        for tmpl in templates:
            for in_window in (True, False):
                rec = _not_ai(tmpl) if in_window else dict(tmpl)
                authorships = [dict(a, institutions="\x00") for a in rec.get("authorships") or []][:12]
                body = {k: v for k, v in rec.items() if k not in ("id", "doi", "publication_year", "publication_date",
                                                                   "updated_date", "authorships", "title", "display_name")}
                self.parts.append((in_window, json.dumps(authorships).split('"\\u0000"'), json.dumps(body)[1:-1], rec.get("title")))

    def line(self, n: int, start: int, end: int) -> tuple[str, str]:
        rng = self.rng
        in_window, auth, body, title = rng.choice(self.parts)
        year = rng.randint(start, end) if in_window else rng.choice([*range(1990, start), *range(end + 1, 2026)])
        date = rng.choice(FILLER_PARTITIONS)
        authorships = auth[0] + "".join(
            "[" + ", ".join(rng.choices(self.institutions, k=rng.randint(1, 2))) + "]" + seg for seg in auth[1:]
        )
        head = {
            "id": f"https://openalex.org/W{9_000_000_000 + n}", "doi": f"https://doi.org/10.5555/bench.{n}",
            "title": title, "display_name": title, "publication_year": year,
            "publication_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "updated_date": f"{date}T00:00:00.000000",
        }
        return date, json.dumps(head)[:-1] + f', "authorships": {authorships}, {body}}}'


def _dressed(planted: dict, template: dict) -> str:
    """A planted work with a real record's size: the template's fields the pipeline does not read."""
    extra = {k: v for k, v in template.items() if k not in READ_FIELDS and k not in planted}
    return json.dumps({**planted, **extra})


def build(out_dir: Path, n_lines: int, seed: int = 7, part_size: int = 125_000) -> dict:
    out_dir = Path(out_dir)
    params = {"n_lines": n_lines, "seed": seed, "version": VERSION, "part_size": part_size, "demo": demo.GENERATOR_VERSION}
    truth_file = out_dir / "truth.json"
    if truth_file.exists() and json.loads(truth_file.read_text()).get("params") == params:
        return json.loads(truth_file.read_text())
    rng = random.Random(seed)
    pool = demo.Pool.load()
    templates = _templates()
    latest, older = demo.generate_records(max(1, round(n_lines * PLANTED_SHARE)), seed, pool)
    planted = [(rec["updated_date"][:10], _dressed(rec, rng.choice(templates))) for rec in latest + older]
    filler = _Filler(templates, pool, rng)
    n_filler = max(0, n_lines - len(planted))
    # Planted lines are spread evenly among the filler, as AI works are in a real snapshot.
    every = max(1, n_filler // max(1, len(planted)))
    by_partition: dict[str, list[str]] = defaultdict(list)
    k = 0
    for n in range(n_filler):
        date, text = filler.line(n, *demo.PERIOD)
        by_partition[date].append(text)
        if n % every == 0 and k < len(planted):
            by_partition[planted[k][0]].append(planted[k][1])
            k += 1
    for date, text in planted[k:]:
        by_partition[date].append(text)
    entries = []
    data = out_dir / "data" / "jsonl"
    for date in sorted(by_partition):
        lines = by_partition[date]
        for start in range(0, len(lines), part_size):
            path = data / "works" / f"updated_date={date}" / f"part_{start // part_size:04d}.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            chunk = lines[start : start + part_size]
            with gzip.open(path.with_suffix(".tmp"), "wt", encoding="utf-8", compresslevel=6) as out:
                out.write("\n".join(chunk) + "\n")
            path.with_suffix(".tmp").rename(path)
            meta = {"record_count": len(chunk), "content_length": path.stat().st_size}
            entries.append({"url": str(path.relative_to(out_dir)), "meta": meta})
    for entity, records in (
        ("institutions", [{k: v for k, v in i.items() if k not in POOL_INTERNAL} | {"updated_date": "2026-03-02T00:00:00"}
                          for i in pool.institutions()]),
        ("funders", [{k: v for k, v in f.items() if k not in POOL_INTERNAL} | {"updated_date": "2026-03-02T00:00:00"}
                     for group in ("CN", "EU", "OTHER") for f in pool.funders.get(group, [])]),
    ):
        path = data / entity / "updated_date=2026-03-02" / "part_0000.gz"
        count = write_jsonl_gz(path, records)
        entries.append({"url": str(path.relative_to(out_dir)), "meta": {"record_count": count, "content_length": path.stat().st_size}})
    (out_dir / "manifest.json").write_text(json.dumps({"entries": entries}, indent=1))
    truth = {"params": params, "records_written": n_filler + len(planted), "planted_works": len(latest),
             "superseded": len(older), "figures": expected_figures(latest, pool)}
    truth_file.write_text(json.dumps(truth, indent=1, sort_keys=True))
    return truth


def add_partition(out_dir: Path, n_lines: int, date: str = "2026-06-01", seed: int = 99) -> Path:
    """One more partition of `n_lines` new lines, shaped like the snapshot's (the incremental case): the same share
    of new demo works among filler, all with fresh ids and updated on `date`. Listed in the manifest."""
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    pool = demo.Pool.load()
    templates = _templates()
    latest, _ = demo.generate_records(max(1, round(n_lines * PLANTED_SHARE)), seed, pool)
    stamp = f"{date}T00:00:00.000000"
    lines = []
    for k, rec in enumerate(latest):
        lines.append(_dressed({**rec, "id": f"https://openalex.org/W{8_500_000_000 + k}", "updated_date": stamp},
                              rng.choice(templates)))
    filler = _Filler(templates, pool, rng)
    for n in range(n_lines - len(lines)):
        old_date, text = filler.line(500_000_000 + n, *demo.PERIOD)
        lines.append(text.replace(f'"updated_date": "{old_date}T00:00:00.000000"', f'"updated_date": "{stamp}"', 1))
    rng.shuffle(lines)
    path = out_dir / "data" / "jsonl" / "works" / f"updated_date={date}" / "part_0000.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write("\n".join(lines) + "\n")
    manifest = json.loads((out_dir / "manifest.json").read_text())
    manifest["entries"].append({"url": str(path.relative_to(out_dir)),
                                "meta": {"record_count": len(lines), "content_length": path.stat().st_size}})
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return path


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    print(json.dumps({k: v for k, v in build(Path(sys.argv[1]), n).items() if k != "figures"}))
