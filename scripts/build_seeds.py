"""Rebuild the dbt seeds (seeds/*.csv) from the shared reference data.

Maintenance script, run by hand when the shared reference data changes:
    python scripts/build_seeds.py <the shared folder> [--out DIR] [--check]
It reads <shared>/reference-data/*.csv (and <shared>/openalex-samples/*.jsonl, only to verify the OpenAlex
topic ids of the dual-use list) and writes the seed CSVs under seeds/ (--check: names the seeds that differ from
what it would write, and writes nothing). Nothing reads the shared folder at run time:
the committed seeds are the copies. The builder is the package scripts/seed_builder (its curated tables are
CSV files in scripts/seed_builder/curated/).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run by path: the repository's packages
    from scripts.seed_builder.build import main

    main()
