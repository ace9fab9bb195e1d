"""All the seeds, in order, and the command line (`python scripts/build_seeds.py <shared folder> [--out DIR]`)."""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

from .collisions import COLLISION_COLUMNS, build_collisions
from .countries import COUNTRY_COLUMNS, build_countries
from .dual_use import DUAL_USE_COLUMNS, build_dual_use
from .entities import RISK_ENTITY_COLUMNS, build_risk_entities
from .figures import FIGURE_COLUMNS, build_figures
from .files import SEEDS, load_relationships, load_ror_records, write_csv
from .funders import FUNDER_COLUMNS, FUNDREF_COLUMNS, PROGRAMME_COLUMNS, build_funders, build_programmes
from .names import NAME_COLUMNS, build_entity_names
from .places import PLACE_COLUMNS, build_places
from .units import UNIT_COLUMNS, build_units


def build_name_seeds(entities: list[dict], units: list[dict], ror_records: dict[str, dict],
                     relationships: list[dict]) -> dict[str, list[dict]]:
    collisions = build_collisions(entities, units, ror_records, relationships)
    places = build_places(ror_records)
    mainland = {p["name_normalised"] for p in places if p["region_code"] == "CN" and p["script"] == "latin"}
    names, _ = build_entity_names(entities, units, ror_records, {c["name_normalised"] for c in collisions}, mainland)
    return {"risk_entity_names": names, "risk_name_collisions": collisions, "china_places": places}


def build_all(shared: Path, out_dir: Path = SEEDS) -> dict[str, int]:
    """Writes every seed the builder makes into `out_dir`; returns the rows of each."""
    ref = shared / "reference-data"
    out_dir.mkdir(parents=True, exist_ok=True)
    ror_records = load_ror_records(ref)
    relationships = load_relationships(ref)
    entities, child_rows = build_risk_entities(ref, ror_records, relationships)
    units = build_units(entities, child_rows, ror_records, relationships)
    funders, fundref_ids = build_funders(ref, entities)
    counts = {
        "countries": write_csv("countries", COUNTRY_COLUMNS, build_countries(ref), out_dir),
        "risk_entities": write_csv("risk_entities", RISK_ENTITY_COLUMNS, entities, out_dir),
        "risk_entity_units": write_csv("risk_entity_units", UNIT_COLUMNS, units, out_dir),
        "chinese_funders": write_csv("chinese_funders", FUNDER_COLUMNS, funders, out_dir),
        "chinese_funder_fundref_ids": write_csv("chinese_funder_fundref_ids", FUNDREF_COLUMNS, fundref_ids, out_dir),
        "funding_programmes": write_csv("funding_programmes", PROGRAMME_COLUMNS, build_programmes(ref), out_dir),
        "dual_use_topics": write_csv("dual_use_topics", DUAL_USE_COLUMNS, build_dual_use(shared / "openalex-samples"), out_dir),
        "reference_figures": write_csv("reference_figures", FIGURE_COLUMNS, build_figures(ref), out_dir),
    }
    name_seeds = build_name_seeds(entities, units, ror_records, relationships)
    for name, columns in (("risk_entity_names", NAME_COLUMNS), ("risk_name_collisions", COLLISION_COLUMNS),
                          ("china_places", PLACE_COLUMNS)):
        counts[name] = write_csv(name, columns, name_seeds[name], out_dir)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the dbt seeds (seeds/*.csv) from the shared reference data.")
    parser.add_argument("shared", type=Path, help="the shared folder holding reference-data/ and openalex-samples/")
    parser.add_argument("--out", type=Path, default=SEEDS, help="where to write the seed CSVs (default: seeds/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing: build into a temporary folder and name the seeds under --out that differ")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            stale = [name for name in build_all(args.shared, Path(tmp))
                     if not (args.out / f"{name}.csv").is_file()
                     or not filecmp.cmp(Path(tmp) / f"{name}.csv", args.out / f"{name}.csv", shallow=False)]
        if stale:
            sys.exit(f"Stale seeds in {args.out}: {', '.join(stale)}; rebuild them without --check.")
        print(f"Every seed in {args.out} is what the builder makes.")
        return
    for name, n in build_all(args.shared, args.out).items():
        print(f"{name:28s} {n:5d} rows")
