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

Realistic snapshots (default 100k and 1M lines; `scripts/realistic_snapshot.py`, cached in .bench/realistic/):
real OpenAlex records as templates (10–20 KB of JSON a line), ~1.5 % of them the demo generator's works with
their planted figures, the rest outside the study's universe. For each: the scan (a), the pipeline (c), its
peak RSS, the published file's and the build database's size, and whether every planted figure matches; then
the incremental case at the largest: one partition of 1 % more lines of the same shape, the job run again.
With --raw-only the realistic sizes run the scan and the raw load alone (no dbt, no publish): the raw step's
cost against the scan's on the same files.

Prints a table, the slowest steps of each run, the floors the stack sets, and ends with one line:
  marginal_ratio=<x> fixed_s=<y> peak_rss_mib=<z> python_over_pipeline=<w> incremental_share=<v>
  real_marginal_ratio=<r> published_mib=<p> build_mib=<b> real_incremental_s=<i> real_incremental_over_fixed=<f>
The floors: dbt's own time on the project's nodes in the 1k run (run_results.json: no process start, no
Dagster), under which fixed_s cannot go while every model and test runs; the typed copy's marginal cost over
the scan's, under which marginal_ratio cannot go while the study's fields are kept once.

Usage: python scripts/bench.py [--sizes 1000,100000,1000000] [--real-sizes 100000,1000000] [--raw-only]
"""

from __future__ import annotations

import argparse
import json
import math
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


RAW_LOAD = """
import sys, duckdb
sys.path.insert(0, sys.argv[2])
from dagster_project.ingest.loader import load_files
from dagster_project.ingest.snapshot import list_snapshot
from dagster_project.ingest.universe import Universe
from dagster_project.lib.duckdb_io import memory_limit
threads = {"threads": int(sys.argv[4])} if len(sys.argv) > 4 else {}
con = duckdb.connect(sys.argv[3], config={"memory_limit": memory_limit(), **threads})
r = load_files(con, "works", list_snapshot(sys.argv[1], "works").files, universe=Universe.from_dbt())
print(r.records, r.loaded, r.outside_universe, r.quarantined)
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


def snapshot(n: int) -> tuple[Path, dict]:
    out = BENCH / "snapshots" / str(n)
    sys.path.insert(0, str(ROOT))
    from dagster_project.demo_data.snapshot import generate_snapshot
    from tests.planted import truth_of

    t = time.monotonic()
    generate_snapshot(out, n, seed=7, part_size=PART_SIZE)
    truth = truth_of(out)
    print(f"  snapshot {n:>9,} works ready in {time.monotonic() - t:6.1f} s ({out})", flush=True)
    return out, truth


def realistic_snapshot(n: int) -> tuple[Path, dict]:
    out = BENCH / "realistic" / str(n)
    sys.path.insert(0, str(ROOT / "scripts"))
    from realistic_snapshot import build

    t = time.monotonic()
    truth = build(out, n)
    size = sum(p.stat().st_size for p in (out / "data" / "jsonl" / "works").glob("*/*.gz"))
    print(f"  realistic snapshot {n:>9,} lines ready in {time.monotonic() - t:6.1f} s ({size / 2**20:,.0f} MiB gzipped, "
          f"{truth['planted_works']:,} planted works, {out})", flush=True)
    return out, truth


def mib(path: Path) -> float:
    return path.stat().st_size / 2**20 if path.exists() else float("nan")


def planted_match(truth: dict) -> str:
    """`matched/planted` headline figures of the published warehouse against the snapshot's planted truth."""
    import duckdb

    with duckdb.connect(str(WAREHOUSE / "openalex.duckdb"), read_only=True) as con:
        rows = con.execute("select metric, scope, period, value from marts.headline_figures").fetchall()
    got = {f"{m}|{s}|{p}": v for m, s, p, v in rows}
    planted = truth["figures"]

    def same(a, b) -> bool:
        return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12))

    matched = sum(1 for k, v in planted.items() if k in got and same(got[k], v))
    return f"{matched}/{len(planted)}" + ("" if matched == len(planted) and set(got) == set(planted) else " MISMATCH")


WAREHOUSE = BENCH / "warehouse"
DBT_TARGET = BENCH / "dbt_target"

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
    dirs = DBT_TARGET.glob(f"*-{run_id[:7]}-*/run_results.json")
    return sum(json.loads(p.read_text())["elapsed_time"] for p in dirs)


def pipeline_env(snap: Path) -> dict:
    return {
        "OPENALEX_SOURCE": "snapshot", "OPENALEX_SNAPSHOT_DIR": str(snap), "RAW_DIR": str(WAREHOUSE / "raw"),
        "WAREHOUSE_PATH": str(WAREHOUSE / "openalex.duckdb"), "DAGSTER_HOME": str(BENCH / "dagster_home"),
        # Parsed once at deploy time (prepare) and kept outside the warehouse, which a fresh run starts without.
        "DBT_TARGET_PATH": str(DBT_TARGET),
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
        shutil.rmtree(WAREHOUSE, ignore_errors=True)
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


def raw_load(snap: Path, threads: int | None = None) -> tuple[float, float, str]:
    """The raw load of a snapshot's works alone, into a fresh raw database (DuckDB's threads: all cores unless set)."""
    db = BENCH / "raw_only.duckdb"
    db.unlink(missing_ok=True)
    try:
        return measure([PY, "-c", RAW_LOAD, str(snap), str(ROOT), str(db), *([str(threads)] if threads else [])])
    finally:
        db.unlink(missing_ok=True)


def thread_speedup(n: int) -> dict:
    """The raw load of the largest realistic snapshot on one thread and on two: what a second core buys."""
    snap = BENCH / "realistic" / str(n)
    one, two = raw_load(snap, 1)[0], raw_load(snap, 2)[0]
    print(f"  raw load of {n:,} realistic lines: 1 thread {one:.1f} s, 2 threads {two:.1f} s, "
          f"speed-up {one / two:.2f}x", flush=True)
    return {"lines": n, "one": one, "two": two}


def run_realistic(sizes: list[int], raw_only: bool) -> dict:
    rows = {}
    for n in sizes:
        snap, truth = realistic_snapshot(n)
        glob = str(snap / "data" / "jsonl" / "works" / "*" / "*.gz")
        a = measure([PY, "-c", f"import duckdb; print(duckdb.sql({FLOOR_SQL.format(glob=glob)!r}).fetchall())"])
        if raw_only:
            wall, rss, out = raw_load(snap)
            records, loaded, outside, quarantined = out.strip().splitlines()[-1].split()
            rows[n] = {"a": a[:2], "raw": (wall, rss)}
            print(f"  realistic {n:>9,} lines: scan {a[0]:6.1f} s, raw load {wall:6.1f} s ({wall / a[0]:.2f}x the scan, "
                  f"peak {rss:,.0f} MiB): {records} records, {loaded} kept, {outside} outside the universe, "
                  f"{quarantined} quarantined", flush=True)
            continue
        remove_partition(snap)  # left over from an interrupted run
        c = run_pipeline(snap)
        rows[n] = {"a": a[:2], "c": c[:2], "published_mib": mib(WAREHOUSE / "openalex.duckdb"),
                   "build_mib": mib(WAREHOUSE / "build" / "openalex.duckdb"), "planted": planted_match(truth)}
        r = rows[n]
        print(f"  realistic {n:>9,} lines: scan {a[0]:6.1f} s, pipeline {c[0]:6.1f} s (peak {c[1]:,.0f} MiB), published "
              f"{r['published_mib']:,.1f} MiB, build {r['build_mib']:,.1f} MiB, planted figures {r['planted']}", flush=True)
    if rows:
        rows["threads"] = thread_speedup(max(n for n in rows if isinstance(n, int)))
    if rows and not raw_only:
        # The largest realistic warehouse just built, plus one partition of 1 % more lines shaped like the rest.
        big = max(n for n in rows if isinstance(n, int))
        snap = BENCH / "realistic" / str(big)
        sys.path.insert(0, str(ROOT / "scripts"))
        from realistic_snapshot import add_partition as add_realistic_partition

        add_realistic_partition(snap, big // 100)
        try:
            inc, inc_rss, _ = run_pipeline(snap, fresh=False)
        finally:
            remove_partition(snap)
        rows["incremental"] = (big, inc, inc_rss)
        print(f"  incremental at {big:,} realistic lines: +1 % partition rebuild {inc:.1f} s (peak {inc_rss:,.0f} MiB)",
              flush=True)
    return rows


def print_realistic(rows: dict) -> str:
    """The realistic table; returns the final line's part for them."""
    incremental = rows.pop("incremental", None)
    threads = rows.pop("threads", None)
    sizes = sorted(rows)
    speedup = ""
    if threads:
        speedup = f"raw_thread_speedup={threads['one'] / threads['two']:.2f}"
        print(f"raw load of {threads['lines']:,} realistic lines: 1 thread {threads['one']:.1f} s, 2 threads "
              f"{threads['two']:.1f} s ({speedup})")
    if any("raw" in rows[n] for n in sizes):
        print(f"{'realistic lines':>15} | {'(a) scan s':>10} | {'raw load s':>10} {'MiB':>6} | {'raw / scan':>10}")
        for n in sizes:
            r = rows[n]
            print(f"{n:>15,} | {r['a'][0]:10.1f} | {r['raw'][0]:10.1f} {r['raw'][1]:6.0f} | {r['raw'][0] / r['a'][0]:10.2f}")
        line = speedup
        if len(sizes) >= 2:
            big, mid = rows[sizes[-1]], rows[sizes[-2]]
            lines = sizes[-1] - sizes[-2]
            raw_marginal = (big["raw"][0] - mid["raw"][0]) / (big["a"][0] - mid["a"][0])
            # Core-seconds per line the raw load adds: the figure the full-snapshot projection starts from.
            per_line = (big["raw"][0] - mid["raw"][0]) * os.cpu_count() / lines * 1e6
            line = f"raw_marginal_ratio={raw_marginal:.2f} raw_core_us_per_line={per_line:.0f} " + line
        return line
    print(f"{'realistic lines':>15} | {'(a) scan s':>10} | {'(c) pipeline s':>14} {'MiB':>6} | {'published MiB':>13} | "
          f"{'build MiB':>9} | planted figures")
    for n in sizes:
        r = rows[n]
        print(f"{n:>15,} | {r['a'][0]:10.1f} | {r['c'][0]:14.1f} {r['c'][1]:6.0f} | {r['published_mib']:13.1f} | "
              f"{r['build_mib']:9.1f} | {r['planted']}")
    big = rows[sizes[-1]]
    line = f"published_mib={big['published_mib']:.1f} build_mib={big['build_mib']:.1f} {speedup}".strip()
    if len(sizes) >= 2:
        mid = rows[sizes[-2]]
        ratio = (big["c"][0] - mid["c"][0]) / (big["a"][0] - mid["a"][0])
        line = f"real_marginal_ratio={ratio:.2f} " + line
    if incremental:
        n, inc, inc_rss = incremental
        print(f"incremental at {n:,} realistic lines: +1 % partition rebuild {inc:.1f} s (peak {inc_rss:,.0f} MiB)")
        line += f" real_incremental_s={inc:.1f}"
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000,1000000", help="dense (demo generator) sizes; empty for none")
    parser.add_argument("--real-sizes", default="100000,1000000", help="realistic snapshot sizes; empty for none")
    parser.add_argument("--raw-only", action="store_true", help="realistic sizes: the scan and the raw load only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    real_sizes = [int(s) for s in args.real_sizes.split(",") if s]
    if args.raw_only or not sizes:
        if not args.raw_only:
            prepare(BENCH)
        real = run_realistic(real_sizes, args.raw_only)
        print()
        line = print_realistic(real)
        if line:
            print(line)
        return
    rows = {}
    built = {n: snapshot(n) for n in sizes}
    snaps = {n: snap for n, (snap, _) in built.items()}
    truths = {n: truth for n, (_, truth) in built.items()}
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
        rows[n] = {"a": a[:2], "b": b[:2], "c": c[:2], "d": d[:2], "dbt": c[2], "planted": planted_match(truths[n]),
                   "published_mib": mib(WAREHOUSE / "openalex.duckdb"), "build_mib": mib(WAREHOUSE / "build" / "openalex.duckdb")}
        print(f"  {n:>9,} works: scan {a[0]:6.1f} s, python {b[0]:6.1f} s, typed copy {d[0]:6.1f} s, "
              f"pipeline {c[0]:6.1f} s (peak {c[1]:,.0f} MiB), published {rows[n]['published_mib']:,.1f} MiB, "
              f"build {rows[n]['build_mib']:,.1f} MiB, planted figures {rows[n]['planted']}", flush=True)

    # The largest warehouse just built, plus one new partition of 1 % more works: unchanged files are skipped
    # by size and sha256, the seeds are not reloaded, base_openalex__works re-ranks only the new works.
    add_partition(snaps[big], big // 100)
    try:
        inc, inc_rss, _ = run_pipeline(snaps[big], fresh=False)
    finally:
        remove_partition(snaps[big])
    full = rows[big]["c"][0]
    rows["incremental"] = (full, inc)
    inc_line = (f"incremental at {big:,} works: full build {full:.1f} s, +1 % partition rebuild {inc:.1f} s "
                f"({inc / full:.0%} of full, peak {inc_rss:,.0f} MiB)")
    print(f"  {inc_line}", flush=True)
    real = run_realistic(real_sizes, False) if real_sizes else {}

    print()
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} cores, {memory_gib:.0f} GiB, Python {sys.version.split()[0]}")
    print(f"{'works':>10} | {'(a) scan s':>10} {'MiB':>6} | {'(b) python s':>12} {'MiB':>6} | {'(c) pipeline s':>14} {'MiB':>6}"
          f" | {'of which dbt s':>14} | {'(d) typed copy s':>16} {'MiB':>6} | {'published MiB':>13} | {'build MiB':>9} | planted figures")
    for n in sizes:
        r = rows[n]
        print(f"{n:>10,} | {r['a'][0]:10.1f} {r['a'][1]:6.0f} | {r['b'][0]:12.1f} {r['b'][1]:6.0f} | {r['c'][0]:14.1f} {r['c'][1]:6.0f}"
              f" | {r['dbt']:14.1f} | {r['d'][0]:16.1f} {r['d'][1]:6.0f} | {r['published_mib']:13.1f} | {r['build_mib']:9.1f}"
              f" | {r['planted']}")
    real_line = print_realistic(real) if real else ""
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
            + (f" {real_line}" if real_line else "")
            + (f" real_incremental_over_fixed={float(real_line.split('real_incremental_s=')[1].split()[0]) / rows[small]['c'][0]:.2f}"
               if "real_incremental_s=" in real_line else "")
        )


if __name__ == "__main__":
    main()
