"""`make bench`: what a work costs, from raw JSON to every mart and check, against the cost of one scan.

For each size (default 1k, 100k, 1M works; generated once with the demo generator and cached in .bench/):
  (a) floor:    one DuckDB read_json of the works with an explicit schema of only the fields the study needs
  (b) python:   a naive Python pass (json.loads per line, collecting the same fields)
  (c) pipeline: the whole full_refresh job in snapshot mode through Dagster (`python -m dagster_project.run`),
                on an empty warehouse
  (d) typed copy: one DuckDB read_json of the works with the raw layer's explicit schema (every field the
                study's models read) into an in-memory table: the least any pipeline pays to keep them once
Each is a separate process, timed wall-clock, with its peak RSS (the largest process of its tree, dbt's
included). Every size runs at the same warehouse path with one persistent Dagster instance, as a deployment
does: dbt's parse of the project is made once beforehand (the `prepare` line, a deploy-time step) and reused.
Then the incremental case: one new partition with 1 % more works is added to the largest snapshot and the job
runs again on the warehouse the full build left (the partition is removed again afterwards).

Prints a table, the slowest steps of each run, the floors the stack sets, and ends with one line:
  marginal_ratio=<x> fixed_s=<y> peak_rss_mib=<z> python_over_pipeline=<w> incremental_share=<v>
The floors: dbt's own time on the project's nodes in the 1k run (run_results.json: no process start, no
Dagster), under which fixed_s cannot go while every model and test runs; the typed copy's marginal cost over
the scan's, under which marginal_ratio cannot go while the study's fields are kept once.

Usage: python scripts/bench.py [--sizes 1000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
PY = sys.executable
PART_SIZE = 250_000

FLOOR_SQL = """
select count(*), sum(publication_year), count(distinct language), max(updated_date),
       sum(len(authorships))
from read_json('{glob}', format='newline_delimited', hive_partitioning=false, columns={{
    'id': 'VARCHAR', 'publication_year': 'INTEGER', 'language': 'VARCHAR', 'updated_date': 'VARCHAR',
    'authorships': 'STRUCT(institutions STRUCT(id VARCHAR, country_code VARCHAR)[])[]'}})
"""

PYTHON_PASS = """
import gzip, json, sys, glob
rows = []
for path in sorted(glob.glob(sys.argv[1])):
    with gzip.open(path, 'rt') as fh:
        for line in fh:
            r = json.loads(line)
            rows.append((r['id'], r.get('publication_year'), r.get('language'), r.get('updated_date'),
                         [(i.get('id'), i.get('country_code')) for a in r.get('authorships') or [] for i in a.get('institutions') or []]))
print(len(rows))
"""


TYPED_COPY = """
import sys, time, duckdb
sys.path.insert(0, sys.argv[2])
from dagster_project.ingest.raw_schema import COLUMNS
columns = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS["works"].items())
con = duckdb.connect()
con.execute(f"create table works as select * from read_json('{sys.argv[1]}', format='newline_delimited', "
            f"hive_partitioning=false, columns={{{columns}}})")
print(con.execute("select count(*) from works").fetchone()[0])
"""


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB, the largest process in the tree) and stdout of one command."""
    started = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-f", "__rss_kib=%M", *cmd], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=ROOT)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    rss = max(int(line.split("=")[1]) for line in proc.stderr.splitlines() if line.startswith("__rss_kib="))
    return wall, rss / 1024, proc.stdout


def snapshot(n: int) -> Path:
    out = BENCH / "snapshots" / str(n)
    sys.path.insert(0, str(ROOT))
    from dagster_project.demo_data.snapshot import generate_snapshot

    t = time.monotonic()
    generate_snapshot(out, n, seed=7, part_size=PART_SIZE)
    print(f"  snapshot {n:>9,} works ready in {time.monotonic() - t:6.1f} s ({out})", flush=True)
    return out


WAREHOUSE = BENCH / "warehouse"

STEP_TIMES = """
import dagster as dg
inst = dg.DagsterInstance.get()
run = inst.get_runs(limit=1)[0]
starts, spans = {}, []
for rec in inst.all_logs(run.run_id):
    e = rec.dagster_event
    if e is None:
        continue
    if e.event_type_value == "STEP_START":
        starts[e.step_key] = rec.timestamp
    elif e.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and e.step_key in starts:
        spans.append((rec.timestamp - starts[e.step_key], e.step_key))
print(run.run_id)
print("; ".join(f"{k} {t:.1f} s" for t, k in sorted(spans, reverse=True)[:5]))
"""


def dbt_seconds(run_id: str) -> float:
    """dbt's own elapsed time over the run's dbt invocations (each leaves target/<op>-<run id>-<uuid>/)."""
    dirs = (ROOT / "dbt" / "target").glob(f"*-{run_id[:7]}-*/run_results.json")
    return sum(json.loads(p.read_text())["elapsed_time"] for p in dirs)


def pipeline_env(snap: Path) -> dict:
    return {
        "OPENALEX_SOURCE": "snapshot", "OPENALEX_SNAPSHOT_DIR": str(snap), "RAW_DIR": str(WAREHOUSE / "raw"),
        "WAREHOUSE_PATH": str(WAREHOUSE / "openalex.duckdb"), "DAGSTER_HOME": str(BENCH / "dagster_home"),
        "DAGSTER_DISABLE_TELEMETRY": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "GX_ANALYTICS_ENABLED": "false",
    }


def prepare(snap: Path) -> float:
    """The deploy-time step: parse the dbt project for the bench's database path (then reused by every run)."""
    (BENCH / "dagster_home").mkdir(parents=True, exist_ok=True)
    (BENCH / "dagster_home" / "dagster.yaml").touch()
    wall, _, _ = measure([PY, "-c", "import dagster_project.definitions"], pipeline_env(snap))
    return wall


def run_pipeline(snap: Path, fresh: bool = True) -> tuple[float, float, float]:
    if fresh:
        for p in (WAREHOUSE / "raw", WAREHOUSE / "build", WAREHOUSE / "validations", WAREHOUSE / "parquet"):
            shutil.rmtree(p, ignore_errors=True)
        (WAREHOUSE / "openalex.duckdb").unlink(missing_ok=True)
    wall, rss, _ = measure([PY, "-m", "dagster_project.run"], pipeline_env(snap))
    steps = subprocess.run([PY, "-c", STEP_TIMES], capture_output=True, text=True, env={**os.environ, **pipeline_env(snap)})
    run_id, _, slowest = steps.stdout.strip().partition("\n")
    dbt_s = dbt_seconds(run_id) if run_id else float("nan")
    print(f"      slowest steps: {slowest or steps.stderr.strip()[-300:]}; dbt's own time {dbt_s:.1f} s", flush=True)
    return wall, rss, dbt_s


PARTITION = Path("data") / "jsonl" / "works" / "updated_date=2026-06-01"


def add_partition(snap: Path, n_new: int) -> None:
    """Add one partition of `n_new` new works to a snapshot (the incremental case)."""
    from dagster_project.demo_data.generator import generate_records
    from dagster_project.demo_data.snapshot import write_jsonl_gz

    latest, _ = generate_records(n_new, seed=99)
    for k, rec in enumerate(latest):
        rec["id"] = f"https://openalex.org/W{8_000_000_000 + k}"
        rec["updated_date"] = "2026-06-01T00:00:00.000000"
    part = snap / PARTITION / "part_0000.gz"
    write_jsonl_gz(part, latest)
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["entries"].append({"url": str(part.relative_to(snap)), "meta": {"record_count": len(latest)}})
    (snap / "manifest.json").write_text(json.dumps(manifest))


def remove_partition(snap: Path) -> None:
    shutil.rmtree(snap / PARTITION, ignore_errors=True)
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["entries"] = [e for e in manifest["entries"] if not e["url"].startswith(str(PARTITION))]
    (snap / "manifest.json").write_text(json.dumps(manifest))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000,1000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = {}
    snaps = {n: snapshot(n) for n in sizes}
    big = sizes[-1]
    remove_partition(snaps[big])  # left over from an interrupted run
    prep = prepare(snaps[sizes[0]])
    print(f"  prepare (dbt parse for the warehouse path, once per deployment): {prep:.1f} s", flush=True)
    for n in sizes:
        snap = snaps[n]
        glob = str(snap / "data" / "jsonl" / "works" / "*" / "*.gz")
        a = measure([PY, "-c", f"import duckdb; print(duckdb.sql({FLOOR_SQL.format(glob=glob)!r}).fetchall())"])
        b = measure([PY, "-c", PYTHON_PASS, glob])
        d = measure([PY, "-c", TYPED_COPY, glob, str(ROOT)])
        c = run_pipeline(snap)
        rows[n] = {"a": a[:2], "b": b[:2], "c": c[:2], "d": d[:2], "dbt": c[2]}
        print(f"  {n:>9,} works: scan {a[0]:6.1f} s, python {b[0]:6.1f} s, typed copy {d[0]:6.1f} s, "
              f"pipeline {c[0]:6.1f} s (peak {c[1]:,.0f} MiB)", flush=True)

    # The largest warehouse just built, plus one new partition of 1 % more works: unchanged files are skipped
    # by size and sha256, the seeds are not reloaded, base_openalex__works re-ranks only the new works.
    add_partition(snaps[big], big // 100)
    try:
        inc, inc_rss, _ = run_pipeline(snaps[big], fresh=False)
    finally:
        remove_partition(snaps[big])
    full = rows[big]["c"][0]
    rows["incremental"] = (full, inc)
    inc_line = f"incremental at {big:,} works: full build {full:.1f} s, +1 % partition rebuild {inc:.1f} s ({inc / full:.0%} of full, peak {inc_rss:,.0f} MiB)"
    print(f"  {inc_line}", flush=True)

    print()
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Python {sys.version.split()[0]}")
    print(f"{'works':>10} | {'(a) scan s':>10} {'MiB':>6} | {'(b) python s':>12} {'MiB':>6} | {'(c) pipeline s':>14} {'MiB':>6}"
          f" | {'of which dbt s':>14} | {'(d) typed copy s':>16} {'MiB':>6}")
    for n in sizes:
        r = rows[n]
        print(f"{n:>10,} | {r['a'][0]:10.1f} {r['a'][1]:6.0f} | {r['b'][0]:12.1f} {r['b'][1]:6.0f} | {r['c'][0]:14.1f} {r['c'][1]:6.0f}"
              f" | {r['dbt']:14.1f} | {r['d'][0]:16.1f} {r['d'][1]:6.0f}")
    print(f"prepare (dbt parse, once per deployment): {prep:.1f} s")
    print(inc_line)
    if len(sizes) >= 3:
        small, mid, big = sizes[0], sizes[1], sizes[-1]
        marginal = (rows[big]["c"][0] - rows[mid]["c"][0]) / (rows[big]["a"][0] - rows[mid]["a"][0])
        full, inc = rows["incremental"]
        copy_ratio = (rows[big]["d"][0] - rows[mid]["d"][0]) / (rows[big]["a"][0] - rows[mid]["a"][0])
        print(f"floors: dbt_nodes_s={rows[small]['dbt']:.1f} (fixed_s cannot go below it) "
              f"typed_copy_ratio={copy_ratio:.2f} (marginal_ratio cannot go below it)")
        print(
            f"marginal_ratio={marginal:.2f} fixed_s={rows[small]['c'][0]:.1f} peak_rss_mib={rows[big]['c'][1]:.0f} "
            f"python_over_pipeline={rows[big]['b'][0] / rows[big]['c'][0]:.2f} incremental_share={inc / full:.3f}"
        )


if __name__ == "__main__":
    main()
