"""The raw load's text pre-filter (`Universe.could_be_sql`) never drops a work of the universe: on adversarial
lines built by hypothesis, on every real fixture record, and on a realistic snapshot, where the text-first load
keeps exactly the rows and thin rows the typed read keeps."""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.ingest.loader import load_files
from dagster_project.ingest.snapshot import RawFile, list_snapshot
from dagster_project.ingest.typed_read import choose_read, could_be_in_universe_sql, in_universe, line_fields_sql
from dagster_project.ingest.universe import Universe

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "openalex"
UNIVERSE = Universe.from_dbt()
MAX_BYTES = 2_000_000
CONCEPT = UNIVERSE.concept_ids[0]
SUBFIELDS = UNIVERSE.subfield_ids


def _fixture_lines() -> list[str]:
    paths = sorted(FIXTURES.glob("works__*.jsonl.gz")) + sorted((FIXTURES / "samples").glob("works__*.jsonl.gz"))
    lines = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            lines += [line.rstrip("\r\n") for line in fh if line.strip()]
    return lines


FIXTURE_LINES = _fixture_lines()


def _exact(con, lines: list[str], tmp: Path) -> set[int]:
    """The lines the typed read keeps (the exact rule on the parsed record), by position."""
    return in_universe(con, "works", list(enumerate(lines)), UNIVERSE, tmp, MAX_BYTES)


def _prefiltered(con, lines: list[str]) -> set[int]:
    """The lines the text pre-filter lets through, by position: the same SQL the loader runs on each line."""
    rows = con.execute(
        f"""select n from (select n, {line_fields_sql('line')} as x
                           from (select unnest($ns) as n, unnest($texts) as line))
            where {could_be_in_universe_sql(UNIVERSE, 'x')}""",
        {"ns": list(range(len(lines))), "texts": lines},
    ).fetchall()
    return {r[0] for r in rows}


# --- adversarial lines --------------------------------------------------------------------------------------------

class Raw(str):
    """A JSON value written verbatim (a number in a form json.dumps never writes: 2.019e3, 17.02E2)."""


def _dump(value, rnd: random.Random, escape: float) -> str:
    """JSON text with random whitespace, random `\\u00XX` escapes (either hex case) and escaped slashes, in strings
    and keys alike: all of them valid JSON a producer may write."""
    ws = lambda: rnd.choice(["", "", " ", "  ", "\t", " \t "])  # noqa: E731
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in '"\\' or ord(ch) < 0x20:
                out.append(json.dumps(ch)[1:-1])
            elif ch == "/" and rnd.random() < escape:
                out.append("\\/")
            elif ord(ch) < 0x80 and rnd.random() < escape:
                out.append(rnd.choice(["\\u%04x", "\\u%04X"]) % ord(ch))
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)  # keys in any order
        return "{" + ws() + ("," + ws()).join(f"{_dump(k, rnd, escape)}{ws()}:{ws()}{_dump(v, rnd, escape)}"
                                               for k, v in items) + ws() + "}"
    if isinstance(value, list):
        return "[" + ws() + ("," + ws()).join(_dump(v, rnd, escape) for v in value) + ws() + "]"
    return json.dumps(value)


def _id_form(rnd: random.Random, short: str, prefix: str) -> object:
    forms = [f"https://openalex.org/{prefix}{short}", short, f"{prefix}{short}/", f"https://openalex.org/{prefix}{short}/"]
    if short.isdigit():
        forms += [int(short), Raw(short)]
    return rnd.choice(forms)


def _year(rnd: random.Random) -> object:
    start, end = UNIVERSE.start_year, UNIVERSE.end_year
    year = rnd.choice([start, end, rnd.randint(start, end), start - 1, end + 1, 1999, 2025])
    return rnd.choice([
        year, year, str(year), float(year) + rnd.choice([0.0, 0.4, -0.4, 0.6]), Raw(f"{year / 1000}e3"),
        Raw(f"{year / 100}E2"), None, Raw(f"{year}.0"), Raw(f"{year}  "),
    ])


def _record(rnd: random.Random, base: dict, n: int) -> dict:
    rec = {k: v for k, v in base.items() if k not in ("concepts", "topics", "primary_topic", "publication_year")}
    rec["id"] = f"https://openalex.org/W{rnd.randint(1, 10**10)}"
    other = rnd.choice(["41008148", "2308", "17020", "11702", "170", "1701"])
    concepts = [{"id": _id_form(rnd, c, "C"), "score": rnd.choice([0, 0.0, 0.31, Raw("1e-3")])}
                for c in rnd.sample([CONCEPT.lstrip("C"), "41008148", "119857082"], rnd.randint(0, 3))]
    if concepts and rnd.random() < 0.5:
        rec["concepts"] = concepts
    topics = [{"id": "https://openalex.org/T10320", "subfield": {"id": _id_form(rnd, s, "subfields/"), "display_name": "s"}}
              for s in rnd.sample([*SUBFIELDS, other], rnd.randint(0, 2))]
    if topics:
        rec["topics"] = topics
    if rnd.random() < 0.4:
        rec["primary_topic"] = {"id": "https://openalex.org/T1",
                                "subfield": {"id": _id_form(rnd, rnd.choice([*SUBFIELDS, other]), "subfields/")}}
    if rnd.random() < 0.9:
        rec["publication_year"] = _year(rnd)
    # Decoys: the ids and the year's key in other fields, before or after the record's own.
    if rnd.random() < 0.5:
        rec["biblio"] = {"publication_year": rnd.choice([1999, UNIVERSE.start_year]), "first_page": rnd.choice(SUBFIELDS)}
    if rnd.random() < 0.3:
        rec["related_works"] = [f"https://openalex.org/W{rnd.randint(1, 99)}{rnd.choice(SUBFIELDS)}", f"{CONCEPT} in text"]
    if rnd.random() < 0.2:
        rec["title"] = "{[ " + rnd.choice(["publication_year", '"publication_year": 1999', CONCEPT]) + " ]}"
    return rec


# Real records cut to their short fields: the adversarial part is what the test adds.
BASES = [{k: v for k, v in json.loads(line).items() if k in ("doi", "title", "type", "language", "updated_date")}
         for line in FIXTURE_LINES[:40]]


@pytest.mark.slow  # 150 batches of DuckDB reads, ~11 s: the fast lane keeps the hand-built hidden ids below
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
# A true Random seeded by hypothesis: every form of every field is drawn evenly (hypothesis' own draws favour the
# first choice, which left whole forms of an id untried), and a failure comes back with its seed.
@given(rnd=st.randoms(use_true_random=True), escape=st.sampled_from([0.0, 0.0, 0.05, 0.3, 1.0]))
def test_the_pre_filter_never_drops_a_universe_work_of_adversarial_lines(rnd, escape, tmp_path):
    lines = [_dump(_record(rnd, rnd.choice(BASES), n), rnd, escape) for n in range(30)]
    with duckdb.connect() as con:
        exact = _exact(con, lines, tmp_path)
        dropped = exact - _prefiltered(con, lines)
    assert not dropped, "the pre-filter drops universe works:\n" + "\n".join(lines[n][:600] for n in sorted(dropped))


def test_the_pre_filter_lets_hidden_ids_through_and_lets_plain_outsiders_go(tmp_path):
    start = UNIVERSE.start_year
    hidden = [  # each in the universe, each hiding from a plain text search in its own way
        f'{{"id": "W1", "publication_year": {start}, "concepts": [{{"id": "\\u0043{CONCEPT[1:]}"}}]}}',
        f'{{"id": "W2", "publication_year": "{start}", "topics": [{{"subfield": {{"id": {SUBFIELDS[0]}}}}}]}}',
        f'{{"id": "W3", "biblio": {{"publication_year": 1999}}, "publication_year": {start}, "concepts": [{{"id": "{CONCEPT}"}}]}}',
        f'{{"id": "W4", "publication_year": {start - 1}.6, "primary_topic": {{"subfield": {{"id": "subfields\\/{SUBFIELDS[-1]}\\/"}}}}}}',
        f'{{"id": "W5", "publication\\u005fyear": {start}, "concepts": [{{"id": "https:\\/\\/openalex.org\\/{CONCEPT}"}}]}}',
    ]
    outsiders = [  # none in the universe, and the text says so plainly
        f'{{"id": "W6", "publication_year": {start - 1}, "concepts": [{{"id": "{CONCEPT}"}}]}}',
        f'{{"id": "W7", "publication_year": {start}, "concepts": [{{"id": "C41008148"}}], "referenced_works": ["W11702"]}}',
        f'{{"id": "W8", "publication_year": {start}, "topics": [{{"subfield": {{"id": "subfields/2308"}}}}]}}',
    ]
    with duckdb.connect() as con:
        assert _exact(con, hidden + outsiders, tmp_path) == set(range(len(hidden)))
        assert _prefiltered(con, hidden + outsiders) == set(range(len(hidden)))


def test_the_pre_filter_keeps_every_universe_work_of_the_real_records_and_lets_most_others_go(tmp_path):
    with duckdb.connect() as con:
        exact = _exact(con, FIXTURE_LINES, tmp_path)
        passed = _prefiltered(con, FIXTURE_LINES)
    assert exact, "the real fixtures hold works of the universe"
    assert exact <= passed
    # The real records were chosen for the study (mostly AI works): what the filter lets go are the rest.
    outside = len(FIXTURE_LINES) - len(exact)
    assert len(passed - exact) < outside / 2, (len(FIXTURE_LINES), len(exact), len(passed))


def _load(con, root: Path, universe: Universe | None, tmp: Path, read: str = "auto"):
    return load_files(con, "works", list_snapshot(root, "works").files, tmp / "quarantine.jsonl", universe=universe,
                      read=read)


@pytest.mark.slow  # generates a realistic snapshot and loads it twice
def test_the_text_first_load_of_a_realistic_snapshot_keeps_what_the_typed_read_keeps(tmp_path):
    """Every row of raw.works and every thin row, against a typed read of every record (no universe) cut down
    to the universe by the exact rule afterwards."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from realistic_snapshot import build

    snap = tmp_path / "snapshot"
    build(snap, 3_000, part_size=1_000)
    with duckdb.connect() as text_first, duckdb.connect() as typed:
        sources = {str(f.path): f for f in list_snapshot(snap, "works").files}
        assert choose_read(text_first, sources, UNIVERSE, MAX_BYTES) == "text_first"  # few candidates: text first
        result = _load(text_first, snap, UNIVERSE, tmp_path, read="text_first")
        _load(typed, snap, None, tmp_path)
        assert result.quarantined == 0
        assert result.loaded > 30
        assert result.outside_universe > 2_000
        kept = text_first.execute("select * exclude (_loaded_at) from raw.works order by id, updated_date, _file").fetchall()
        expected = typed.execute(
            f"select * exclude (_loaded_at) from raw.works where coalesce({UNIVERSE.where_sql()}, false) "
            "order by id, updated_date, _file").fetchall()
        assert kept == expected
        thin = "select id, updated_date, _file, _updated_date_derived from raw.work_versions order by all"
        assert text_first.execute(thin).fetchall() == typed.execute(thin).fetchall()


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("works__*.jsonl.gz")), ids=lambda p: p.name.split("__")[1])
def test_the_text_first_load_of_each_real_fixture_keeps_the_exact_universe(path, tmp_path):
    raw = RawFile("works", path, "2025-11-11", None)
    with duckdb.connect() as con:
        result = load_files(con, "works", [raw], tmp_path / "q.jsonl", universe=UNIVERSE, read="text_first")
        kept = {r[0] for r in con.execute("select id from raw.works").fetchall()}
        lines = [line for line in gzip.open(path, "rt", encoding="utf-8").read().splitlines() if line.strip()]
        exact = {json.loads(lines[n])["id"] for n in _exact(con, lines, tmp_path)}
    assert result.records == len(lines)
    assert result.quarantined == 0
    assert kept == exact


def test_a_snapshot_of_mostly_universe_works_takes_the_typed_read_and_keeps_the_same(tmp_path):
    """The demo's works are nearly all AI works of the study's years: typing them after reading them as text would
    cost more than the typed read of everything, which the first lines choose; both keep the same rows."""
    from dagster_project.demo_data.snapshot import generate_snapshot

    generate_snapshot(tmp_path / "demo", 400, seed=3)
    files = list_snapshot(tmp_path / "demo", "works").files
    kept = {}
    for read in ("auto", "text_first"):
        with duckdb.connect() as con:
            assert choose_read(con, {str(f.path): f for f in files}, UNIVERSE, MAX_BYTES) == "typed"
            load_files(con, "works", files, tmp_path / f"{read}.jsonl", universe=UNIVERSE, read=read)
            kept[read] = con.execute("select * exclude (_loaded_at) from raw.works order by id, updated_date").fetchall()
    assert kept["auto"] == kept["text_first"]
    assert len(kept["auto"]) > 200
