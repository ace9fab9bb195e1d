"""The raw layer's universe: decided inside the typed read, reconciled per file, recorded with the load, and a
wider definition stops the run with the full-reload instruction."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.assets.raw import universe_for_load
from dagster_project.demo_data.generator import generate_records
from dagster_project.ingest.loader import ensure_raw_schema, load_files
from dagster_project.ingest.snapshot import RawFile
from dagster_project.ingest.universe import Universe, record
from dagster_project.settings import DBT_PROJECT_DIR

AI_CONCEPT = {"id": "https://openalex.org/C154945302", "display_name": "Artificial intelligence", "level": 1, "score": 0.0}


def _topic(subfield: str) -> dict:
    subfield_ref = {"id": f"https://openalex.org/subfields/{subfield}", "display_name": "s"}
    return {"id": "https://openalex.org/T1", "display_name": "t", "subfield": subfield_ref}


def _work(base: dict, year: int, **fields) -> dict:
    rec = copy.deepcopy(base)
    rec.update(publication_year=year, concepts=[], topics=[], primary_topic=None)
    rec.update(fields)
    return rec


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("".join(line + "\n" for line in lines))


def test_the_universe_comes_from_the_dbt_vars():
    vars_ = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    universe = Universe.from_dbt()
    assert (universe.start_year, universe.end_year) == (vars_["study_start_year"], vars_["study_end_year"])
    assert universe.concept_ids == (vars_["ai_concept_id"],)
    assert set(universe.subfield_ids) == {vars_["ai_subfield_id"], vars_["ai_broad_extra_subfield_id"]}


@pytest.mark.parametrize("read", ["text_first", "typed"])
def test_the_typed_read_keeps_the_universe_counts_the_rest_and_quarantines_bad_lines(tmp_path, read):
    universe = Universe.from_dbt()
    start, end = universe.start_year, universe.end_year
    sub, broad = universe.subfield_ids[0], universe.subfield_ids[-1]
    works, _ = generate_records(12, seed=5)
    inside = [
        _work(works[0], start, concepts=[AI_CONCEPT]),  # the concept at score 0 counts
        _work(works[1], end, topics=[_topic(sub)]),
        _work(works[2], start, primary_topic=_topic(sub)),
        _work(works[3], end, topics=[_topic(broad)]),  # the broad definition's extra subfield
    ]
    outside = [
        _work(works[4], start - 1, concepts=[AI_CONCEPT]),
        _work(works[5], end + 1, topics=[_topic(sub)]),
        _work(works[6], start, topics=[_topic("2308")]),
        _work(works[7], None, concepts=[AI_CONCEPT]),
    ]
    no_date = _work(works[8], start, concepts=[AI_CONCEPT])
    del no_date["updated_date"]
    good = [json.dumps(r) for r in inside + outside + [no_date]]
    misfit = json.dumps(_work(works[9], start, concepts=[AI_CONCEPT], publication_year="nineteen"))
    path = tmp_path / "works" / "updated_date=2025-11-11" / "part_0000.gz"
    _write(path, good[:5] + ["{not json"] + good[5:] + [misfit])
    raw = RawFile("works", path, "2025-11-11", None)
    with duckdb.connect() as con:
        result = load_files(con, "works", [raw], tmp_path / "quarantine.jsonl", universe=universe, read=read)
        assert (result.records, result.loaded, result.outside_universe, result.quarantined) == (11, 5, 4, 2)
        logged = con.execute("select records, loaded, outside_universe, quarantined from raw.load_log").fetchone()
        assert logged == (11, 5, 4, 2)
        kept = {r[0] for r in con.execute("select id from raw.works").fetchall()}
        assert kept == {r["id"] for r in inside + [no_date]}
        assert con.execute("select count(*), count(*) filter (where in_universe) from raw.work_versions").fetchone() == (9, 5)
        derived = con.execute("select id, updated_date from raw.works where _updated_date_derived").fetchall()
        assert derived == [(no_date["id"], "2025-11-11")]
        reasons = dict(con.execute("select line, reason from raw.quarantine").fetchall())
        assert reasons[6].startswith("malformed JSON") and "raw schema" in reasons[11]
        # Outside the universe a work leaves only its thin version row: no nested record is kept for it.
        assert con.execute("select count(*) from raw.works where id = ?", [outside[0]["id"]]).fetchone()[0] == 0


def test_a_definition_wider_than_the_loaded_universe_asks_for_a_full_reload():
    needed = Universe.from_dbt()
    log = dg.get_dagster_logger()
    with duckdb.connect() as con:
        ensure_raw_schema(con)
        assert universe_for_load(con, log, full_reload=False) == (needed, {"works"})  # first load: works read whole with the universe

        wider = Universe(needed.start_year - 5, needed.end_year, needed.concept_ids, (*needed.subfield_ids, "1703"))
        record(con, wider)
        assert universe_for_load(con, log, full_reload=False) == (wider, set())  # a narrower definition is answered from the wider load

        narrower = Universe(needed.start_year + 1, needed.end_year, needed.concept_ids, needed.subfield_ids[:1])
        record(con, narrower)
        with pytest.raises(dg.Failure, match="WAREHOUSE_FULL_REFRESH=1") as failure:
            universe_for_load(con, log, full_reload=False)
        assert f"{needed.start_year}-{needed.end_year}" in str(failure.value)

        # WAREHOUSE_FULL_REFRESH=1 (settings.full_refresh): every file reloaded with the universe the definitions need
        assert universe_for_load(con, log, full_reload=True) == (needed, {"works", "institutions", "funders"})


def test_a_full_reload_with_a_wider_universe_brings_back_the_works_a_narrower_one_left_out(tmp_path):
    wide = Universe.from_dbt()
    narrow = Universe(wide.start_year + 1, wide.end_year, wide.concept_ids, wide.subfield_ids)
    works, _ = generate_records(4, seed=8)
    records = [_work(w, wide.start_year if i % 2 else wide.end_year, concepts=[AI_CONCEPT]) for i, w in enumerate(works)]
    path = tmp_path / "works" / "updated_date=2026-01-01" / "part_0000.gz"
    _write(path, [json.dumps(r) for r in records])
    raw = RawFile("works", path, "2026-01-01", None)
    with duckdb.connect() as con:
        first = load_files(con, "works", [raw], universe=narrow)
        assert (first.loaded, first.outside_universe) == (2, 2)
        again = load_files(con, "works", [raw], universe=wide)  # unchanged file, incremental: skipped as loaded
        assert again.files[0].skipped and (again.loaded, again.outside_universe) == (2, 2)
        reloaded = load_files(con, "works", [raw], incremental=False, universe=wide)
        assert (reloaded.loaded, reloaded.outside_universe) == (4, 0)
        assert con.execute("select count(*) from raw.works").fetchone()[0] == 4
        assert con.execute("select count(*), count(*) filter (where in_universe) from raw.work_versions").fetchone() == (4, 4)
        assert con.execute("select count(*) from raw.load_log").fetchone()[0] == 1


def test_the_load_line_counts_only_what_this_run_read_and_names_the_skipped_files():
    from dagster_project.assets.raw import _load_summary
    from dagster_project.ingest.loader import FileResult, LoadResult

    result = LoadResult("works", [
        FileResult("a.gz", "2026-01-01", records=100, loaded=3, outside_universe=97, quarantined=0, expected_records=100, skipped=True),
        FileResult("b.gz", "2026-02-01", records=10, loaded=1, outside_universe=8, quarantined=1, expected_records=10),
    ])
    assert _load_summary("works", result) == (
        "works: 1 files read, 10 records: 1 loaded, 8 outside the study's universe, 1 quarantined; 1 files unchanged, skipped")
    rerun = LoadResult("funders", [FileResult("f.gz", None, 5, 5, 0, 0, 5, skipped=True)])
    assert _load_summary("funders", rerun) == "funders: 0 files read, 0 records: 0 loaded, 0 quarantined; 1 files unchanged, skipped"
