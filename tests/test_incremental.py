"""Incremental builds: after new and removed raw files, the incremental base_openalex__works and the per-work
staging models built from it equal a full refresh of them, row for row (latest updated_date still wins,
versions are still counted, a work's rows follow its winning version)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.demo_data.generator import generate_records
from dagster_project.demo_data.snapshot import write_jsonl_gz
from dagster_project.ingest.loader import load_files, prune_files
from dagster_project.ingest.snapshot import RawFile
from tests.conftest import dbt_build_path, run_dbt

pytestmark = pytest.mark.slow  # whole job runs and dbt builds

# base_openalex__works and the per-work models built from it (schema.model).
PER_WORK_MODELS = [
    "staging.base_openalex__works", "staging.stg_openalex__works", "staging.stg_openalex__authorships",
    "staging.stg_openalex__authorship_institutions", "staging.stg_openalex__work_topics", "staging.stg_openalex__work_concepts",
    "staging.stg_openalex__work_keywords", "staging.stg_openalex__work_funding", "intermediate.int_work_countries_aggregated",
    "intermediate.int_work_institutions_classified", "intermediate.int_works_classified",
]
SELECT = "base_openalex__works+1 +int_works_classified +int_work_institutions_classified"


def _version(record: dict, updated: str, year: int | None = None, **fields) -> dict:
    rec = copy.deepcopy(record)
    rec["updated_date"] = updated
    if year is not None:
        rec["publication_year"] = year
    rec.update(fields)
    return rec


def _file(root: Path, partition: str, records: list[dict]) -> RawFile:
    path = root / f"updated_date={partition}" / "part_0000.gz"
    return RawFile("works", path, partition, write_jsonl_gz(path, records))


def _dbt(db: Path, *args: str) -> None:
    invocation, _ = run_dbt(db, *args)
    assert invocation.is_successful(), invocation.get_error()


def _build_base(db: Path, *extra: str) -> None:
    _dbt(db, "run", "--select", SELECT, *extra)


def _first_build(db: Path) -> None:
    """The countries seed the models read, and the models, in one dbt command (no tests: not what is compared)."""
    _dbt(db, "build", "--select", f"countries {SELECT}", "--resource-type", "seed", "--resource-type", "model")


def _model_rows(db: Path) -> dict[str, list[tuple]]:
    """Every per-work model's rows, without the build timestamp (which differs between two builds by design)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {m: con.execute(f"select columns(c -> c <> '_built_at') from {m} order by all").fetchall() for m in PER_WORK_MODELS}


def _rows(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select work_id, _file, publication_year, versions_seen, updated_date from staging.base_openalex__works order by work_id"
        ).fetchall()


def test_an_incremental_rebuild_equals_a_full_refresh(tmp_path, monkeypatch):
    works, _ = generate_records(300, seed=11)
    raw_dir, db = tmp_path / "raw", dbt_build_path(monkeypatch, tmp_path)
    old = _file(raw_dir, "2024-12-01", [_version(w, "2024-12-01T00:00:00", 2017) for w in works[200:210]])
    a = _file(raw_dir, "2025-01-01", [_version(w, "2025-01-01T00:00:00") for w in works[:200]])
    b = _file(raw_dir, "2025-02-01", [_version(w, "2025-02-01T00:00:00") for w in works[200:]])
    with duckdb.connect(str(db)) as con:
        load_files(con, "works", [old, a, b])
    _first_build(db)
    first = {r[0]: r for r in _rows(db)}
    assert len(first) == 300 and first[works[205]["id"].rsplit("/", 1)[-1]][1] == str(b.path)

    # A new partition: newer versions of works 0-49 (another year), older versions of 50-59 (must lose), 20 new
    # works; and partition b withdrawn: 200-209 fall back to their older version, 210-299 leave the warehouse.
    new_works, _ = generate_records(320, seed=12)
    # Works 0-9's new versions lose their authorships, topics, concepts, keywords and funding (no rows left in
    # the per-work models); 10-19's carry works 100-109's authorships, topics and funding instead.
    emptied = dict(authorships=[], topics=[], primary_topic=None, concepts=[], keywords=[], grants=None, funders=None, awards=None)
    fields = ("authorships", "topics", "primary_topic", "grants", "funders", "awards")
    swapped = [{k: works[100 + i].get(k) for k in fields} for i in range(10)]
    c = _file(raw_dir, "2025-03-01", [_version(w, "2025-03-01T00:00:00", 2022, **emptied) for w in works[:10]]
              + [_version(w, "2025-03-01T00:00:00", 2022, **swapped[i]) for i, w in enumerate(works[10:20])]
              + [_version(w, "2025-03-01T00:00:00", 2022) for w in works[20:50]]
              + [_version(w, "2024-06-01T00:00:00", 2018) for w in works[50:60]]
              + [_version(w, "2025-03-01T00:00:00") for w in new_works[300:]])
    with duckdb.connect(str(db)) as con:
        load_files(con, "works", [old, a, c])
        assert prune_files(con, "works", [old, a, c]) > 0
    _build_base(db)
    incremental, incremental_models = _rows(db), _model_rows(db)

    shutil.copyfile(db, tmp_path / "incremental.duckdb")  # the same database path keeps dbt's parse
    _build_base(db, "--full-refresh")
    assert incremental == _rows(db)
    full_models = _model_rows(db)
    short = lambda w: w["id"].rsplit("/", 1)[-1]  # noqa: E731
    for model in PER_WORK_MODELS:
        assert incremental_models[model] == full_models[model], model
    with duckdb.connect(str(tmp_path / "incremental.duckdb"), read_only=True) as con:
        emptied_ids = [short(w) for w in works[:10]]
        for model in PER_WORK_MODELS[2:8] + PER_WORK_MODELS[9:10]:
            assert con.execute(f"select count(*) from {model} where work_id in (select unnest(?))", [emptied_ids]).fetchone()[0] == 0, model
        # Incremental indeed: the untouched works' rows are those of the first build.
        assert con.execute("select count(distinct _built_at) from staging.stg_openalex__work_topics").fetchone()[0] == 2

    by_id = {r[0]: r for r in incremental}
    assert len(by_id) == 200 + 10 + 20
    assert by_id[short(works[0])][1:4] == (str(c.path), 2022, 2)  # the newer version won
    assert by_id[short(works[55])][1:4] == (str(a.path), first[short(works[55])][2], 2)  # the older one lost
    assert by_id[short(works[205])][1:4] == (str(old.path), 2017, 1)  # back to the surviving version
    assert short(works[250]) not in by_id  # every version withdrawn
    assert by_id[short(works[120])] == first[short(works[120])]  # untouched


def test_a_rerun_on_unchanged_data_reloads_no_file_and_no_seed_and_gives_the_same_figures(rerun):
    result = rerun["result"]
    assert result.success
    raw = {e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()
           if e.asset_key.path[0] == "openalex" and "files" in e.materialization.metadata}
    assert {"openalex/works", "openalex/institutions", "openalex/funders"} <= set(raw)
    for key, meta in raw.items():
        assert meta["files"].value > 0 and meta["files_skipped_unchanged"].value == meta["files"].value, key
    materialized = {e.asset_key.path[0] for e in result.get_asset_materialization_events()}
    assert "reference" not in materialized, "unchanged seeds are not reloaded"
    assert {"staging", "marts", "warehouse"} <= materialized
    with duckdb.connect(str(rerun["settings"].build_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.load_log").fetchone()[0] == con.execute(
            "select count(distinct file) from raw.load_log").fetchone()[0]
    with duckdb.connect(str(rerun["published"]), read_only=True) as con:
        assert con.execute("select * from marts.headline_figures order by all").fetchall() == rerun["figures_before"]


AI_CONCEPT = {"id": "https://openalex.org/C154945302", "display_name": "Artificial intelligence", "level": 1, "score": 0.0}


def _inside(record: dict, updated: str) -> dict:
    """A version in the study's universe: 2019, tagged with the AI concept (at score 0: any score counts)."""
    return _version(record, updated, 2019, concepts=[AI_CONCEPT])


def _outside(record: dict, updated: str, by: str) -> dict:
    """A version outside the universe: published before the window, or in it but AI under no definition."""
    if by == "year":
        return _version(record, updated, 2010, concepts=[AI_CONCEPT])
    return _version(record, updated, 2019, concepts=[], topics=[], primary_topic=None)


def test_the_latest_version_wins_across_the_universes_edge_incrementally_as_in_a_full_refresh(tmp_path, monkeypatch):
    from dagster_project.ingest.universe import Universe

    universe = Universe.from_dbt()
    works, _ = generate_records(60, seed=21)
    short = [w["id"].rsplit("/", 1)[-1] for w in works]
    raw_dir, db = tmp_path / "raw", dbt_build_path(monkeypatch, tmp_path)
    a = _file(raw_dir, "2025-01-01", [_inside(w, "2025-01-01T00:00:00") for w in works[:20]]
              + [_outside(w, "2025-01-01T00:00:00", "year") for w in works[20:25]]
              + [_outside(w, "2025-01-01T00:00:00", "ai") for w in works[25:30]])
    with duckdb.connect(str(db)) as con:
        first = load_files(con, "works", [a], universe=universe)
    assert (first.records, first.loaded, first.outside_universe, first.quarantined) == (30, 20, 10, 0)
    _first_build(db)
    assert {r[0] for r in _rows(db)} == set(short[:20])

    # Newer versions: 0-4 leave the universe (by year), 5-9 leave it (no AI any more), 20-24 and 25-27 enter it;
    # older versions that must lose: 10-14 outside (their newer in-universe version stays), 28-29 inside (their
    # newer outside version keeps them out).
    b = _file(raw_dir, "2025-02-01", [_outside(w, "2025-02-01T00:00:00", "year") for w in works[:5]]
              + [_outside(w, "2025-02-01T00:00:00", "ai") for w in works[5:10]]
              + [_inside(w, "2025-02-01T00:00:00") for w in works[20:28]]
              + [_outside(w, "2024-06-01T00:00:00", "year") for w in works[10:15]]
              + [_inside(w, "2024-06-01T00:00:00") for w in works[28:30]])
    with duckdb.connect(str(db)) as con:
        second = load_files(con, "works", [a, b], universe=universe)
        versions, kept = con.execute("select count(*), count(*) filter (where in_universe) from raw.work_versions").fetchone()
    assert (second.loaded, second.outside_universe) == (20 + 10, 10 + 15)  # file a skipped (unchanged), its counts kept
    assert (versions, kept) == (30 + 25, 20 + 10)
    _build_base(db)
    incremental, incremental_models = _rows(db), _model_rows(db)
    expected = set(short[10:20]) | set(short[20:28])
    assert {r[0] for r in incremental} == expected
    by_id = {r[0]: r for r in incremental}
    assert by_id[short[12]][1:4] == (str(a.path), 2019, 2)  # an older outside version does not displace it
    assert by_id[short[22]][1:4] == (str(b.path), 2019, 2)  # the newer inside version brought it in
    with duckdb.connect(str(db), read_only=True) as con:
        for model in PER_WORK_MODELS[1:]:
            gone = con.execute(f"select count(*) from {model} where work_id in (select unnest(?))", [short[:10]]).fetchone()[0]
            assert gone == 0, model

    _build_base(db, "--full-refresh")
    assert incremental == _rows(db)
    full_models = _model_rows(db)
    for model in PER_WORK_MODELS:
        assert incremental_models[model] == full_models[model], model
