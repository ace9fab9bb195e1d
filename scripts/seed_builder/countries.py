"""countries: reference-data/country_groups.csv with the Hong Kong, Macao and Taiwan notes."""

from __future__ import annotations

from pathlib import Path

from .files import curated, read_csv

COUNTRY_COLUMNS = [
    "iso2", "iso3", "name", "eu_code", "eu27", "eea", "efta", "uk", "europe_eu27_uk", "europe_eu27_uk_ch_no",
    "europe_eu27_uk_efta", "china_mainland", "china_incl_hk_mo", "notes", "is_hk_mo_tw", "reported_separately_note",
]
COUNTRY_FLAGS = COUNTRY_COLUMNS[4:13]


def build_countries(ref: Path) -> list[dict]:
    separate = {r["iso2"]: r["note"] for r in curated("countries_reported_separately")}
    rows = []
    for r in read_csv(ref / "country_groups.csv"):
        for flag in COUNTRY_FLAGS:
            if r[flag] not in {"0", "1"}:
                raise ValueError(f"country_groups.csv {r['iso2']}.{flag} is not 0/1: {r[flag]!r}")
        rows.append({
            **{c: r[c] for c in COUNTRY_COLUMNS[:14]},
            "is_hk_mo_tw": 1 if r["iso2"] in separate else 0,
            "reported_separately_note": separate.get(r["iso2"], ""),
        })
    return rows
