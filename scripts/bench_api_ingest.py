"""Benchmark the `api` source against the local OpenAlex stand-in (offline).

    .venv/bin/python scripts/bench_api_ingest.py [--demo-works 40000] [--repeat 3]

Prints, for the same two works queries (cursor paging, per-page 200):
  * the stand-in's raw serving rate: plain `requests` (one keep-alive session, JSON parsed), no pyalex;
  * the ingest's HTTP client alone: pyalex-built URLs cursor-paged through `OpenAlexClient` (tenacity retry
    layer, JSON parsed), records discarded;
  * the full ingest, `openalex_api.fetch`: works phase records/s (client + checkpointed page files), and the whole fetch
    (works + 102 group_by counts + entity batches + landing the files) with its request count.
Best of --repeat runs. Figures depend on the machine; the stand-in runs in this process (its own threads).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402
from openalex_standin import StandIn, load_dataset  # noqa: E402

from dagster_project.ingest import openalex_api as api  # noqa: E402
from dagster_project.ingest.openalex_api.client import OpenAlexClient  # noqa: E402
from dagster_project.ingest.openalex_api.query import with_params  # noqa: E402
from dagster_project.settings import load_settings  # noqa: E402

KEY = "bench-key"


def plain_requests(url: str, queries) -> tuple[int, int, float]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    records = size = 0
    t0 = time.perf_counter()
    for q in queries:
        cursor = "*"
        while cursor:
            r = session.get(f"{url}/works", params={"filter": q.filter_string, "per-page": 200, "cursor": cursor}, timeout=60)
            r.raise_for_status()
            doc = r.json()
            records += len(doc["results"])
            size += len(r.content)
            cursor = doc["meta"]["next_cursor"]
    return records, size, time.perf_counter() - t0


def client_only(url: str, queries) -> tuple[int, float]:
    client = OpenAlexClient(url, KEY, None)
    records = 0
    t0 = time.perf_counter()
    for q in queries:
        cursor = "*"
        while cursor:
            doc = client.get("bench", with_params(q.build(), per_page=200, cursor=cursor))
            records += len(doc["results"])
            cursor = doc["meta"]["next_cursor"] if doc["results"] else None
    client.close()
    return records, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo-works", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    dataset = load_dataset(args.demo_works, args.seed)
    with StandIn(dataset, api_key=KEY) as server:
        print(f"stand-in: {len(dataset.works)} works ({args.demo_works} demo + real), {len(dataset.institutions)} "
              f"institutions, {len(dataset.funders)} funders; ready in {time.perf_counter() - t0:.1f} s")
        with tempfile.TemporaryDirectory(prefix="bench_api_") as tmp_dir:
            tmp = Path(tmp_dir)
            os.environ.update(RAW_DIR=str(tmp / "raw"), OPENALEX_SOURCE="api", OPENALEX_API_KEY=KEY, OPENALEX_API_URL=server.url)
            os.environ.pop("OPENALEX_EMAIL", None)
            settings = load_settings()
            queries = api.StudyScope.from_dbt().works_queries()
            for q in queries:  # warm the stand-in's filter cache, as a real server would be warm
                server.matching("works", q.filter_string)

            raw, raw_mb, pyx, works_rate, total = [], [], [], [], []
            for _ in range(args.repeat):
                n, size, secs = plain_requests(server.url, queries)
                raw.append(n / secs)
                raw_mb.append(size / secs / 1e6)
                n2, secs2 = client_only(server.url, queries)
                assert n2 == n, (n2, n)
                pyx.append(n2 / secs2)
                server.reset()
                t1 = time.perf_counter()
                stats = api.fetch(settings, logging.getLogger("bench"), progress=False).stats
                total.append(time.perf_counter() - t1)
                works_rate.append(stats["works_fetched"] / stats["phase_durations_s"]["works"])
            print(f"records per run: {n} works records over {len(queries)} queries "
                  f"({stats['records']['works']} unique), {stats['pages']['works']} pages of <= 200")
            print(f"stand-in raw serving rate (plain requests, JSON parsed): {max(raw):8.0f} records/s "
                  f"({max(raw_mb):.1f} MB/s; median {statistics.median(raw):.0f})")
            print(f"client paging alone (pyalex URLs, tenacity layer):      {max(pyx):8.0f} records/s "
                  f"(median {statistics.median(pyx):.0f})")
            print(f"fetch works phase (client + checkpointed pages):        {max(works_rate):8.0f} records/s "
                  f"(median {statistics.median(works_rate):.0f})")
            print(f"fetch whole run: {min(total):.2f} s best (median {statistics.median(total):.2f} s) for "
                  f"{stats['requests']} requests: works, {stats['pages']['work_counts']} group_by counts, "
                  f"{stats['pages']['institutions']}+{stats['pages']['funders']} entity batches, landing "
                  f"{stats['bytes_written'] / 1e6:.1f} MB; phases {stats['phase_durations_s']}")


if __name__ == "__main__":
    main()
