"""Reading and writing the builder's CSVs, and the ROR ids in them."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

from dagster_project.lib.ror_id import normalise_ror_id

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
CURATED = Path(__file__).resolve().parent / "curated"


def read_csv(path: Path) -> list[dict[str, str]]:
    """A reference-data CSV, every value stripped."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def curated(name: str) -> list[dict[str, str]]:
    """A curated table of curated/<name>.csv, as written; its leading `#` lines say where its rows come from."""
    with (CURATED / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


def write_csv(name: str, columns: list[str], rows: list[dict], out_dir: Path) -> int:
    path = out_dir / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n", extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: fmt(row.get(c)) for c in columns})
    return len(rows)


def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"['’`]", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def normalise_ror(value: str | None) -> str:
    """A ROR id as the seeds hold it (bare, lower case); empty stays empty. Raises ValueError for text that holds no
    valid ROR id: the builder never guesses."""
    text = (value or "").strip()
    if not text:
        return ""
    ror_id = normalise_ror_id(text)
    if ror_id is None:
        raise ValueError(f"not a well-formed ROR id (format or checksum): {value!r}")
    return ror_id


def load_ror_records(ref: Path) -> dict[str, dict]:
    return {normalise_ror(r["ror_id"]): r for r in read_csv(ref / "ror_cn_hk_mo_tw_subset.csv")}


def load_relationships(ref: Path) -> list[dict]:
    """The ROR subset's edges with both ids normalised."""
    rows = read_csv(ref / "ror_cn_hk_mo_tw_subset_relationships.csv")
    for r in rows:
        r["ror_id"], r["related_ror_id"] = normalise_ror(r["ror_id"]), normalise_ror(r["related_ror_id"])
    return rows
