"""The demo's second release: a later partition of the same snapshot (DEMO_RELEASE=2), so two runs in a row show
what `marts.release_changes` and the watchlist's alerts report.

It plants, in new versions of two works (updated the day of the partition):
* TU Munich, the demo watchlist's institution, gains a PLA partner: a Chinese PLA institution of the pool that was
  none of its partners joins one of its Europe–China AI works whose Chinese side is untagged;
* a Europe–China AI work of other institutions is retracted, and so leaves the study.
The tests work out what changes from these records (tests/planted), never from the warehouse.
"""

from __future__ import annotations

import copy

from .affiliations import set_strings, string_for
from .plants import LEFT_AS_DRAWN_ROR, STUDY, eu_cn_in_scope, has_institution, public, risk_tags, work_number

PARTITION = "2026-06-01"
UPDATED = f"{PARTITION}T00:00:00"


def _chinese(rec: dict) -> list[dict]:
    return [i for a in rec["authorships"] for i in a["institutions"] if i.get("country_code") in STUDY.china]


def second_release_records(latest: list[dict], pool) -> list[dict]:
    """The new versions the second release's partition holds (the latest records of the first are not changed)."""
    tags = risk_tags(pool)
    eu_cn = sorted((r for r in latest if eu_cn_in_scope(r)), key=lambda r: r["id"])
    tum_partners = {i["id"] for r in eu_cn if has_institution(r, LEFT_AS_DRAWN_ROR) for i in _chinese(r)}
    untagged = [r for r in eu_cn if has_institution(r, LEFT_AS_DRAWN_ROR)
                and not any(tags.get(i["id"], set()) & {"pla", "defence_linked", "security_linked"} for i in _chinese(r))]
    pla = sorted((i for i in pool.china if "pla" in tags.get(i["id"], set()) and i["id"] not in tum_partners),
                 key=lambda i: i["id"])
    out = []
    if untagged and pla:
        gain = copy.deepcopy(untagged[0])
        partner, k = pla[0], len(gain["authorships"])
        authorship = {
            "author_position": "middle",
            "author": {"id": f"https://openalex.org/A{5_000_000_000 + work_number(gain) * 10 + k}",
                       "display_name": f"Author {work_number(gain)}-{k}"},
            "institutions": [public(partner)], "countries": [partner["country_code"]],
        }
        set_strings(gain, authorship, [(string_for(partner, work_number(gain), k), [partner["id"]])])
        gain["authorships"].append(authorship)
        out.append(gain | {"updated_date": UPDATED})
    retract = next((r for r in eu_cn if not has_institution(r, LEFT_AS_DRAWN_ROR)), None)
    if retract is not None:
        out.append(copy.deepcopy(retract) | {"is_retracted": True, "updated_date": UPDATED})
    return out


def apply(latest: list[dict], changed: list[dict]) -> list[dict]:
    """The latest records once the second release's versions replace theirs."""
    by_id = {r["id"]: r for r in changed}
    return [by_id.get(r["id"], r) for r in latest]
