"""A reader of the published warehouse, run as its own process while a job runs (`python warehouse_reader.py
PATH STOP OUT ROWS MARTS`): it opens a fresh read-only connection ten times a second, as a BI tool with no pool
does, until the file STOP exists, then writes to OUT what it saw: queries made, errors (a lock or a half-written
file would land there), reads that saw an incomplete warehouse, and each load it saw (its loaded_at)."""

import json
import os
import sys
import time

import duckdb

path, stop, out, expected_rows, expected_marts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
queries, errors, incomplete, loads, started = 0, [], [], set(), time.monotonic()
while not os.path.exists(stop):
    t0 = time.monotonic()
    try:
        con = duckdb.connect(path, read_only=True)
        try:
            rows = con.execute("select count(*) from marts.headline_figures").fetchone()[0]
            marts = con.execute("select count(*) from duckdb_tables() where schema_name = 'marts'").fetchone()[0]
            loaded_at = con.execute("select max(loaded_at)::varchar from staging.stg_openalex__dataset").fetchone()[0]
        finally:
            con.close()
        queries += 1
        loads.add(loaded_at)
        if rows != expected_rows or marts != expected_marts:
            incomplete.append([rows, marts])
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:300])
    time.sleep(max(0.0, 0.1 - (time.monotonic() - t0)))
with open(out, "w") as fh:
    json.dump({"queries": queries, "errors": errors, "incomplete": incomplete, "warehouses_seen": sorted(loads),
               "seconds": round(time.monotonic() - started, 1)}, fh)
