"""Bad part files in a snapshot: each bad thing is quarantined with its reason, the good records load and the
counts reconcile per file. A part file that cannot be read at all (truncated, not gzip) is quarantined whole with
its records and bytes, a line over RAW_MAX_LINE_BYTES with its size, a text field holding a JSON object or array
with the field's name; past RAW_QUARANTINE_MAX_SHARE the run stops and says the share, the limit and the worst
file. Most cases call the loader on a real DuckDB file; one test runs the whole job."""

from __future__ import annotations

import copy
import gzip
import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.demo_data.generator import generate_records
from dagster_project.demo_data.snapshot import generate_snapshot
from dagster_project.ingest.loader import load_files
from dagster_project.ingest.snapshot import RawFile
from dagster_project.ingest.universe import Universe
from tests.conftest import set_warehouse_env, up_to_publish

WORKS, _ = generate_records(60, seed=41)
AI_CONCEPT = {"id": "https://openalex.org/C154945302", "display_name": "Artificial intelligence", "level": 1, "score": 0.9}
BIG = 3_000_000  # bytes: over the default RAW_MAX_LINE_BYTES (2MB)


def _in_universe(rec: dict, n: int, **fields) -> dict:
    """A work of the study's universe (AI, in its years) with a fresh id."""
    rec = copy.deepcopy(rec)
    rec.update(id=f"https://openalex.org/W{8_100_000_000 + n}", publication_year=Universe.from_dbt().start_year,
               concepts=[AI_CONCEPT])
    rec.update(fields)
    return rec


def _gz(lines: list[str]) -> bytes:
    return gzip.compress("".join(line + "\n" for line in lines).encode())


def _part(root: Path, name: str, data: bytes, records: int | None = None) -> RawFile:
    """A works part file under `root`; `records`: its count in the manifest (None: not listed)."""
    path = root / "data" / "jsonl" / "works" / "updated_date=2026-04-01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return RawFile("works", path, "2026-04-01", records)


def _good(root: Path) -> RawFile:
    return _part(root, "part_0000.gz", _gz([json.dumps(w) for w in WORKS[:20]]), 20)


def _load(tmp_path: Path, files: list[RawFile], **kwargs) -> dict:
    """Load the files into a DuckDB file; what the raw layer then holds, its counts checked to reconcile."""
    quarantine_file = tmp_path / "quarantine" / "works.jsonl"
    tmp_path.mkdir(exist_ok=True)
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        result = load_files(con, "works", files, quarantine_file, **kwargs)
        log = {Path(r[0]).name: r[1:] for r in con.execute(
            """select file, records, loaded, outside_universe, quarantined, coalesce(quarantined_bytes, 0) as qb
               from raw.load_log""").fetchall()}
        for name, (records, loaded, outside, quarantined, _) in log.items():
            assert records == loaded + outside + quarantined, name
        in_works = dict(con.execute("select _file, count(*) from raw.works group by 1").fetchall())
        in_versions = dict(con.execute("select _file, count(*) from raw.work_versions group by 1").fetchall())
        for file in {f.file for f in result.files}:
            name = Path(file).name
            assert in_works.get(file, 0) == log[name][1], name
            assert in_versions.get(file, 0) == log[name][1] + log[name][2], name
        quarantined = [(Path(f).name, line, rid, reason) for f, line, rid, reason in con.execute(
            "select file, line, record_id, reason from raw.quarantine order by file, line").fetchall()]
        titles = dict(con.execute("select id, title from raw.works").fetchall())
    mirrored = ([(Path(q["file"]).name, q["line"], q["record_id"], q["reason"])
                 for q in map(json.loads, quarantine_file.read_text().splitlines())] if quarantine_file.exists() else [])
    assert mirrored == quarantined  # the JSON-lines file for people holds what the table holds
    return {"result": result, "log": log, "quarantine": quarantined, "titles": titles}


def test_the_good_file_alone_loads_whole_with_nothing_quarantined(tmp_path):
    got = _load(tmp_path, [_good(tmp_path)])
    assert got["log"] == {"part_0000.gz": (20, 20, 0, 0, 0)}
    assert got["quarantine"] == [] and not (tmp_path / "quarantine" / "works.jsonl").exists()


@pytest.mark.parametrize("listed", [True, False], ids=["in_the_manifest", "not_in_the_manifest"])
def test_a_truncated_part_file_is_quarantined_whole_and_nothing_of_it_loads(tmp_path, listed):
    whole = _gz([json.dumps(w) for w in WORKS[20:60]])
    cut = _part(tmp_path, "part_0001.gz", whole[: len(whole) // 2], 40 if listed else None)
    got = _load(tmp_path, [_good(tmp_path), cut])
    records, loaded, outside, quarantined, qbytes = got["log"]["part_0001.gz"]
    # The manifest's count when it lists the file, else the lines readable before the data ends.
    assert (loaded, outside, qbytes) == (0, 0, cut.path.stat().st_size)
    assert quarantined == records and (records == 40 if listed else 0 < records < 40)
    [(name, line, rid, reason)] = got["quarantine"]
    assert (name, line, rid) == ("part_0001.gz", None, None)
    assert reason.startswith("not a complete gzip file: its data ends after line ")
    assert got["log"]["part_0000.gz"] == (20, 20, 0, 0, 0)
    [unreadable] = got["result"].unreadable
    assert unreadable.reason == reason and unreadable.quarantined_bytes == qbytes


def test_a_part_file_of_binary_garbage_is_quarantined_whole_with_its_bytes(tmp_path):
    garbage = _part(tmp_path, "part_0002.gz", os.urandom(4096).replace(b"\x1f\x8b", b"\x00\x00"))
    got = _load(tmp_path, [_good(tmp_path), garbage])
    assert got["log"]["part_0002.gz"] == (0, 0, 0, 0, 4096)  # no records can be read: its bytes count instead
    [(name, line, _, reason)] = got["quarantine"]
    assert (name, line) == ("part_0002.gz", None) and reason.startswith("not a gzip file: it starts with the bytes ")
    assert got["log"]["part_0000.gz"] == (20, 20, 0, 0, 0)


def test_a_line_over_the_size_limit_is_quarantined_with_its_size_and_the_rest_of_its_file_loads(tmp_path):
    # Listed in the manifest: the typed read finds the record's kept fields over the limit.
    long_title = _in_universe(WORKS[20], 1, title="x" * BIG)
    listed = _part(tmp_path, "part_0003.gz", _gz([json.dumps(w) for w in WORKS[21:25]] + [json.dumps(long_title)]), 5)
    # Not listed: the loader counts the file's lines itself and measures them (the size is in a field not kept).
    long_abstract = dict(WORKS[25], id="https://openalex.org/W8100000002", abstract_inverted_index={"x" * BIG: [0]})
    unlisted = _part(tmp_path, "part_0004.gz", _gz([json.dumps(long_abstract)] + [json.dumps(w) for w in WORKS[26:30]]))
    got = _load(tmp_path, [_good(tmp_path), listed, unlisted])
    assert got["log"]["part_0003.gz"] == (5, 4, 0, 1, 0) and got["log"]["part_0004.gz"] == (5, 4, 0, 1, 0)
    [(name3, line3, rid3, reason3), (name4, line4, rid4, reason4)] = got["quarantine"]
    assert (name3, line3, rid3) == ("part_0003.gz", 5, long_title["id"])
    assert (name4, line4, rid4) == ("part_0004.gz", 1, long_abstract["id"])
    size = len(json.dumps(long_title).encode())
    assert reason3 == f"a line of {size:,} bytes, longer than RAW_MAX_LINE_BYTES=2,000,000"
    assert reason4.startswith("a line of 3,0") and reason4.endswith("bytes, longer than RAW_MAX_LINE_BYTES=2,000,000")
    # The limit is the caller's (the settings' RAW_MAX_LINE_BYTES): a higher one loads the line.
    again = _load(tmp_path / "higher", [listed], max_line_bytes=4_000_000)
    assert again["log"]["part_0003.gz"] == (5, 5, 0, 0, 0) and len(again["titles"][long_title["id"]]) == BIG


def test_a_text_field_holding_an_object_is_quarantined_naming_the_field(tmp_path):
    universe = Universe.from_dbt()
    title_object = _in_universe(WORKS[30], 3, title={"nested": [1, 2]})
    nested = _in_universe(WORKS[31], 4)
    authorship = next(a for a in nested["authorships"] if a["institutions"])
    authorship["institutions"][0]["display_name"] = ["a", "list"]
    where = f"authorships[{nested['authorships'].index(authorship)}].institutions[0].display_name"
    # Text that merely looks like JSON is text: it loads as written.
    bracketed = _in_universe(WORKS[32], 5, title="[Treatment of pain] (in German)")
    json_like = _in_universe(WORKS[33], 6, title="[1, 2]")
    # Outside the universe a work keeps only its id and date: an object elsewhere stores nothing and is let through,
    # an object as its date is quarantined.
    outside = dict(WORKS[34], id="https://openalex.org/W8100000007", publication_year=1990, title={"x": 1})
    outside_date = dict(WORKS[35], id="https://openalex.org/W8100000008", publication_year=1990, updated_date={"d": 1})
    lines = [json.dumps(r) for r in (title_object, nested, bracketed, json_like, outside, outside_date)]
    part = _part(tmp_path, "part_0005.gz", _gz(lines), len(lines))
    got = _load(tmp_path, [_good(tmp_path), part], universe=universe)
    assert got["log"]["part_0005.gz"] == (6, 2, 1, 3, 0)
    assert got["quarantine"] == [
        ("part_0005.gz", 1, title_object["id"], "a JSON object or array where text is expected, in title"),
        ("part_0005.gz", 2, nested["id"], f"a JSON object or array where text is expected, in {where}"),
        ("part_0005.gz", 6, outside_date["id"], "a JSON object or array where text is expected, in updated_date"),
    ]
    assert got["titles"][bracketed["id"]] == bracketed["title"] and got["titles"][json_like["id"]] == "[1, 2]"
    assert not any(str(t).startswith("{") for t in got["titles"].values())


def test_a_snapshot_folder_named_with_a_quote_and_a_semicolon_loads(tmp_path):
    root = tmp_path / "snapshot'; drop table raw.works; --"
    bad_line = _part(root, "part_0006.gz", _gz([json.dumps(w) for w in WORKS[40:45]] + ["{not json"]), 6)
    got = _load(tmp_path, [_good(root), bad_line])  # the typed read together, then each file, then line by line
    assert got["log"] == {"part_0000.gz": (20, 20, 0, 0, 0), "part_0006.gz": (6, 5, 0, 1, 0)}
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as con:
        assert {r[0] for r in con.execute("select distinct _file from raw.works").fetchall()} == {
            str(root / "data" / "jsonl" / "works" / "updated_date=2026-04-01" / n) for n in ("part_0000.gz", "part_0006.gz")}


def test_the_quarantine_check_names_the_share_the_limit_and_the_worst_files():
    from dagster_project.checks.raw_checks import quarantine_description

    worst = [("/s/works/updated_date=2026-04-01/part_0003.gz", 1000, 5120, "not a complete gzip file: its data ends"),
             ("/s/works/updated_date=2026-04-01/part_0004.gz", 210, 0, "malformed JSON: Expecting value at column 1"),
             ("/s/works/updated_date=2026-04-02/part_0000.gz", 0, 4096, "not a gzip file: it starts with the bytes 00 01")]
    text = quarantine_description("works", (50_000, 1_210, 10_000_000, 9_216), worst, 0.001, Path("raw/snapshot/quarantine/works.jsonl"))
    assert text == (
        "2.42 % of the works records (1,210 of 50,000) could not be loaded, more than RAW_QUARANTINE_MAX_SHARE=0.001 "
        "allows: worst files updated_date=2026-04-01/part_0003.gz (1,000 records: not a complete gzip file: its data "
        "ends), updated_date=2026-04-01/part_0004.gz (210 records: malformed JSON: Expecting value at column 1), "
        "updated_date=2026-04-02/part_0000.gz (4,096 bytes: not a gzip file: it starts with the bytes 00 01); see "
        "raw.quarantine and raw/snapshot/quarantine/works.jsonl.")
    # A file of unreadable bytes, no records: the byte share decides, and the sentence says so.
    by_bytes = quarantine_description("works", (50_000, 0, 1_000_000, 4_096), worst[2:], 0.001, Path("q.jsonl"))
    assert by_bytes.startswith("0.41 % of the works part files' bytes (4,096 of 1,000,000) are in files that cannot "
                               "be read, and 0 of 50,000 records could not be loaded, more than RAW_QUARANTINE_MAX_SHARE")
    warned = quarantine_description("works", (50_000, 3, 10_000_000, 0), worst[1:2], 0.001, Path("q.jsonl"))
    assert warned.startswith("0.006 % of the works records (3 of 50,000) could not be loaded, within "
                             "RAW_QUARANTINE_MAX_SHARE=0.001, so the run goes on: worst files updated_date=2026-04-01/")


def _bad_snapshot(root: Path) -> dict[str, Path]:
    """A small demo snapshot plus a partition of bad part files, the manifest listing the truncated one."""
    generate_snapshot(root, 300, seed=43)
    whole = _gz([json.dumps(_in_universe(w, 100 + i)) for i, w in enumerate(WORKS[:30])])
    outside = dict(WORKS[30], id="https://openalex.org/W8100000200", publication_year=1990)
    parts = {
        "truncated": _part(root, "part_0000.gz", whole[: len(whole) // 2], 30),
        "garbage": _part(root, "part_0001.gz", os.urandom(2048).replace(b"\x1f\x8b", b"\x00\x00")),
        "bad_lines": _part(root, "part_0002.gz", _gz([json.dumps(_in_universe(WORKS[31], 201, title="x" * BIG)),
                                                      json.dumps(_in_universe(WORKS[32], 202, title={"nested": [1, 2]})),
                                                      json.dumps(outside)]), 3),
    }
    manifest = json.loads((root / "manifest.json").read_text())
    for raw in (parts["truncated"], parts["bad_lines"]):
        manifest["entries"].append({"url": str(raw.path.relative_to(root)), "meta": {"record_count": raw.expected_records}})
    (root / "manifest.json").write_text(json.dumps(manifest))
    return {k: raw.path for k, raw in parts.items()}


@pytest.mark.slow  # two runs of the job up to publication
def test_bad_part_files_stop_the_run_past_the_limit_and_are_quarantined_when_a_higher_limit_lets_it_publish(tmp_path, monkeypatch):
    root = tmp_path / "snapshot"
    parts = _bad_snapshot(root)
    set_warehouse_env(monkeypatch, tmp_path, OPENALEX_SOURCE="snapshot", OPENALEX_SNAPSHOT_DIR=str(root))
    from dagster_project.definitions import defs

    def run():
        instance = dg.DagsterInstance.ephemeral()
        result = defs.resolve_job_def("update_warehouse").execute_in_process(
            instance=instance, raise_on_error=False, asset_selection=up_to_publish(defs))
        checks = {f"{c.asset_key.to_user_string()}:{c.check_name}": c for c in result.get_asset_check_evaluations()}
        done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        logged = [e.user_message for e in instance.all_logs(result.run_id) if not e.is_dagster_event]
        return result, checks, done, logged

    stopped, checks, done, logged = run()
    check = checks["openalex/works:quarantine"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert checks["openalex/works:reconciliation"].passed
    build = tmp_path / "warehouse" / "build" / "openalex.duckdb"
    with duckdb.connect(str(build), read_only=True) as con:
        records, quarantined = con.execute(
            "select sum(records), sum(quarantined) from raw.load_log where entity = 'works'").fetchone()
    assert quarantined == 32  # the truncated file's 30 (its manifest count), the long line, the object title
    assert check.description.startswith(
        f"{quarantined / records * 100:.3g} % of the works records ({quarantined} of {records}) could not be loaded, "
        "more than RAW_QUARANTINE_MAX_SHARE=0.001 allows: worst files updated_date=2026-04-01/part_0000.gz "
        "(30 records: not a complete gzip file")
    assert "updated_date=2026-04-01/part_0001.gz (2,048 bytes: not a gzip file" in check.description
    assert "warehouse/published" not in done and not any(k.startswith(("staging/", "marts/")) for k in done)
    for name in ("truncated", "garbage"):  # one sentence each in the run's log
        [sentence] = [m for m in logged if f"{parts[name]} cannot be read and is quarantined whole" in m]
        assert "nothing of it loaded" in sentence

    monkeypatch.setenv("RAW_QUARANTINE_MAX_SHARE", "0.5")
    published, checks, done, _ = run()
    assert published.success and "warehouse/published" in done
    check = checks["openalex/works:quarantine"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "within RAW_QUARANTINE_MAX_SHARE=0.5, so the run goes on" in check.description
    with duckdb.connect(str(build), read_only=True) as con:
        reasons = {(Path(f).name, line): reason for f, line, reason in con.execute(
            "select file, line, reason from raw.quarantine").fetchall()}
        assert con.execute("select count(*) from raw.works where _file like '%updated_date=2026-04-01%'").fetchone() == (0,)
    assert reasons[("part_0000.gz", None)].startswith("not a complete gzip file")
    assert reasons[("part_0001.gz", None)].startswith("not a gzip file")
    assert reasons[("part_0002.gz", 1)].startswith("a line of 3,0")
    assert reasons[("part_0002.gz", 2)] == "a JSON object or array where text is expected, in title"
    # The second run skipped the unchanged bad files: the quarantine file still names every one of them.
    mirrored = [json.loads(x) for x in (tmp_path / "raw" / "snapshot" / "quarantine" / "works.jsonl").read_text().splitlines()]
    assert {(Path(q["file"]).name, q["line"]) for q in mirrored} == set(reasons)
