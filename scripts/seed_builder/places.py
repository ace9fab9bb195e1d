"""china_places: names that place an affiliation in mainland China, and names that take it out."""

from __future__ import annotations

import re

from .files import curated
from .names import normalise_name, script_of

PLACE_COLUMNS = ["name_normalised", "name", "script", "kind", "region_code", "source", "note"]
CITY_SUFFIX = re.compile(r"\s+(Shi|City|Qu|District)$")


def city_name(city: str) -> str:
    return CITY_SUFFIX.sub("", city.strip())


def build_places(ror_records: dict[str, dict]) -> list[dict]:
    """china_places: names that place an affiliation in mainland China (region_code CN: the country, its
    provinces, autonomous regions and municipalities, and the cities of the ROR subset's CN records), and the names
    that take it out (HK, MO, TW: those regions and the cities of their ROR records). A name that is a city both in
    and outside the mainland (Jincheng is in Shanxi and on Kinmen) is dropped from both."""
    rows: list[dict] = []

    def add(name: str, kind: str, region: str, source: str, note: str = "") -> None:
        rows.append({"name_normalised": normalise_name(name), "name": name, "kind": kind, "region_code": region,
                     "source": source, "note": note})

    for place in curated("place_names"):  # the country, provinces and regions, and the names outside the mainland
        add(place["name"], place["kind"], place["region_code"], "curated", place["note"])
    cities: dict[str, set[str]] = {}
    for record in ror_records.values():
        city = city_name(record["city"])
        if city and record["country_code"] in {"CN", "HK", "MO", "TW"}:
            cities.setdefault(city, set()).add(record["country_code"])
    excluded = {r["city"] for r in curated("city_exclusions")}
    for city, regions in sorted(cities.items()):
        if city in excluded or len(regions) > 1:
            continue
        add(city, "city", regions.pop(), "ror_cn_hk_mo_tw_subset.city")
    for spelling in curated("city_spellings"):  # after the ROR cities: a name ROR gives keeps ROR as its source
        add(spelling["name"], "city", "CN", "curated", spelling["note"])
    kept: dict[str, dict] = {}
    for row in rows:  # the first row of a name wins: country, then province, then city
        kept.setdefault(row["name_normalised"], row)
    for row in kept.values():
        row["script"] = script_of(row["name_normalised"])
    return sorted(kept.values(), key=lambda r: (r["region_code"], ["country", "province", "city"].index(r["kind"]),
                                                r["name_normalised"]))
