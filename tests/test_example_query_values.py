"""Every example query of docs/queries answers with the demo's planted values, row by row and column by column.

The expected answers never come from the warehouse: they are the planted truth (tests/planted, beside the session's
demo snapshot) or are counted here in plain Python from the snapshot's records as the generator wrote them (the
generator is deterministic) and the demo pool's notes. A query that returned another column's figure, the
complement of a share, or another year's row fails here.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from dagster_project.demo_data.affiliations import short_id
from dagster_project.demo_data.generator import DEFENCE_PROGRAMME, EUROPE, PERIOD, TUM_ROR, Pool
from dagster_project.demo_data.snapshot import snapshot_records
from tests.conftest import DEMO_SEED_FOR_TESTS, DEMO_WORKS_FOR_TESTS
from tests.planted import truth_of
from tests.planted.planted_affiliations import institutions, records_by_id, text_tags
from tests.planted.planted_truth import CHINA, in_scope

QUERIES = Path(__file__).resolve().parent.parent / "docs" / "queries"
SPAN = f"{PERIOD[0]}-{PERIOD[1]}"
YEARS = [str(y) for y in range(PERIOD[0], PERIOD[1] + 1)]
BEIHANG_ROR = "00wk2mp56"


@pytest.fixture(scope="module")
def answer(demo_run):
    """`answer("07")`: the rows of docs/queries/07_*.sql on the session's demo warehouse, as dicts."""
    assert demo_run["result"].success, "the demo run failed"
    con = duckdb.connect(str(demo_run["settings"].warehouse_path), read_only=True)

    def run(number: str) -> list[dict]:
        [query] = QUERIES.glob(f"{number}_*.sql")
        cursor = con.execute(query.read_text())
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    yield run
    con.close()


@pytest.fixture(scope="module")
def planted(demo_run) -> dict:
    return truth_of(demo_run["settings"].raw_dir / "demo" / "snapshot")


@pytest.fixture(scope="module")
def works() -> list[dict]:
    """The Europe–China AI works of the demo snapshot, each with what the queries count, from the records."""
    pool = Pool.load()
    latest, _ = snapshot_records(DEMO_WORKS_FOR_TESTS, DEMO_SEED_FOR_TESTS, pool)
    by_id = records_by_id(pool)
    own_tags = {i["id"]: set(i["tags"]) | set(i.get("inherited_tags") or []) for i in pool.china}
    chinese_funders = {f["id"]: f["chinese_government"] for f in pool.funders.get("CN", [])}
    out = []
    for rec in latest:
        insts = institutions(rec, by_id) if in_scope(rec) else []
        europeans = {i["id"]: i for i in insts if i["country_code"] in EUROPE}
        chinese = {i["id"]: i for i in insts if i["country_code"] in CHINA}
        if not (europeans and chinese):
            continue
        funders = {g["funder"] for g in rec.get("grants") or []} | {f["id"] for f in rec.get("funders") or []}
        names = [g.get("funder_display_name") or "" for g in rec.get("grants") or []] + [
            a.get("display_name") or "" for a in rec.get("awards") or []]
        awards = [g.get("award_id") or "" for g in rec.get("grants") or []] + [
            a.get("funder_award_id") or "" for a in rec.get("awards") or []]
        out.append({
            "id": short_id(rec["id"]), "year": str(rec["publication_year"]), "europeans": europeans,
            "chinese": chinese, "tags": set().union(*(own_tags.get(i, set()) for i in chinese)) | text_tags(rec),
            "funders": funders, "chinese_funded": any(f in chinese_funders for f in funders),
            "government_funded": any(chinese_funders.get(f) for f in funders),
            "defence_programme": any(DEFENCE_PROGRAMME in n for n in names) or any(a.startswith("JCKY") for a in awards),
        })
    return out


def same(got, want, what: str) -> None:
    if want is None or got is None:
        assert (got, want) == (None, None), f"{what}: query {got}, planted {want}"
    else:
        assert math.isclose(float(got), float(want), rel_tol=0, abs_tol=5e-5), f"{what}: query {got}, planted {want}"


def share(num: int, den: int) -> float | None:
    return num / den if den else None


def test_01_the_yearly_figures_are_the_planted_ones(answer, planted):
    rows = answer("01")
    assert [r["publication_year"] for r in rows] == YEARS
    f = planted["figures"]
    for r in rows:
        y = r["publication_year"]
        for column, key in (("eu_cn_works", "eu_cn_works|EUROPE"), ("europe_ai_works", "europe_ai_works|EUROPE"),
                            ("europe_share_with_cn", "europe_share_with_cn|EUROPE"), ("cn_ai_works", "cn_ai_works|CN"),
                            ("cn_share_with_europe", "cn_share_with_europe|CN")):
            same(r[column], f[f"{key}|{y}"], f"01 {column} {y}")


def test_02_each_countrys_yearly_share_with_china_is_the_planted_one(answer, planted):
    rows = answer("02")
    f = planted["figures"]
    assert [(r["country_code"], str(r["publication_year"])) for r in rows] == [
        (c, y) for c in ("GB", "DE", "FR") for y in YEARS]
    for r in rows:
        c, y = r["country_code"], str(r["publication_year"])
        same(r["ai_works"], f[f"country_ai_works|{c}|{y}"], f"02 ai_works {c} {y}")
        same(r["share_with_cn"], f[f"country_share_with_cn|{c}|{y}"], f"02 share {c} {y}")
        same(r["works_with_cn"], round((f[f"country_share_with_cn|{c}|{y}"] or 0) * r["ai_works"]), f"02 works {c} {y}")


def test_03_each_countrys_part_of_the_europe_china_works_is_the_planted_one(answer, planted):
    rows = answer("03")
    f = planted["figures"]
    with_works = {c for c in EUROPE if f[f"country_eu_cn_works|{c}|{SPAN}"]}
    assert {r["country_code"] for r in rows} == with_works
    for r in rows:
        c = r["country_code"]
        same(r["eu_cn_works_with_country"], f[f"country_eu_cn_works|{c}|{SPAN}"], f"03 works {c}")
        same(r["share_of_eu_cn_works"], f[f"country_share_of_eu_cn_works|{c}|{SPAN}"], f"03 share {c}")


def test_04_the_pla_and_defence_linked_partners_and_their_works_are_counted_from_the_records(answer, works):
    pool = Pool.load()
    tags = {i["id"]: set(i["tags"]) | set(i.get("inherited_tags") or []) for i in pool.china}
    per_partner = Counter(i for w in works for i in w["chinese"])
    names = {i["id"]: i["display_name"] for i in pool.institutions()}
    want = sorted(((-n, names[i], i) for i, n in per_partner.items() if tags.get(i, set()) & {"pla", "defence_linked"}))
    rows = answer("04")
    assert [(r["institution_id"], r["eu_cn_works"]) for r in rows] == [(short_id(i), -n) for n, _, i in want][:25]
    for r in rows:
        full = f"https://openalex.org/{r['institution_id']}"
        assert r["is_pla"] == ("pla" in tags[full]), r
        assert r["is_defence_linked"] == ("defence_linked" in tags[full]), r


def test_05_and_06_the_largest_links_are_the_planted_pairs(answer, planted, works):
    pairs = Counter((eu, cn) for w in works for eu in w["europeans"] for cn in w["chinese"])
    names = {i["id"]: i["display_name"] for i in Pool.load().institutions()}
    by_names = Counter({(names[eu], names[cn]): n for (eu, cn), n in pairs.items()})
    rows = answer("05")
    assert len(rows) == min(20, len(pairs))
    for r in rows:
        assert r["eu_cn_works"] == by_names[(r["european_institution_name"], r["chinese_institution_name"])], r
    assert [r["eu_cn_works"] for r in rows] == sorted(pairs.values(), reverse=True)[:len(rows)]
    tum = answer("06")
    assert sum(r["is_tum"] for r in tum) == planted["figures"][f"top10_links_involving_tum|DE-CN|{SPAN}"]
    german = {e for w in works for e, inst in w["europeans"].items() if inst["country_code"] == "DE"}
    assert [r["eu_cn_works"] for r in tum] == sorted((n for (eu, _), n in pairs.items() if eu in german), reverse=True)[:10]


def test_07_each_funder_funds_the_works_and_defence_programme_works_the_records_name(answer, works):
    pool = Pool.load()
    funders = {f["id"]: f for group in pool.funders.values() for f in group}
    per_funder = Counter(f for w in works for f in w["funders"])
    programme = Counter(f for w in works if w["defence_programme"] for f in w["funders"]
                        if "National Defense" in funders[f]["display_name"])
    rows = answer("07")
    assert len(rows) == min(20, len(per_funder))
    by_name = {funders[f]["display_name"]: f for f in per_funder}
    for r in rows:
        f = by_name[r["funder_name"]]
        assert r["eu_cn_works"] == per_funder[f], r
        assert r["defence_programme_works"] == programme[f], r
        assert r["is_chinese_funder"] == (funders[f]["country_code"] == "CN"), r
        assert r["is_chinese_government_funder"] == bool(funders[f].get("chinese_government")), r


def test_08_the_funding_shares_per_year_are_counted_from_the_records(answer, works):
    rows = {r["period"]: r for r in answer("08")}
    assert set(rows) == {*YEARS, SPAN}
    for period in [*YEARS, SPAN]:
        ws = [w for w in works if period in (w["year"], SPAN)]
        disclosed = [w for w in ws if w["funders"]]
        r = rows[period]
        same(r["eu_cn_works"], len(ws), f"08 works {period}")
        same(r["eu_cn_works_funding_disclosed"], len(disclosed), f"08 disclosed {period}")
        same(r["share_funding_disclosed"], share(len(disclosed), len(ws)), f"08 disclosed share {period}")
        same(r["share_china_funded_of_disclosed"], share(sum(w["chinese_funded"] for w in disclosed), len(disclosed)),
             f"08 China-funded share {period}")
        same(r["share_china_gov_funded_of_disclosed"],
             share(sum(w["government_funded"] for w in disclosed), len(disclosed)), f"08 government share {period}")
        same(r["eu_cn_works_defence_programme_funded"], sum(w["defence_programme"] for w in ws), f"08 programme {period}")


def test_09_the_risk_counts_per_year_are_counted_from_the_records(answer, planted, works):
    rows = {r["period"]: r for r in answer("09")}
    assert set(rows) == {*YEARS, SPAN}
    for period in [*YEARS, SPAN]:
        ws = [w for w in works if period in (w["year"], SPAN)]
        r = rows[period]
        counts = {tag: sum(tag in w["tags"] for w in ws) for tag in ("pla", "defence_linked", "security_linked")}
        same(r["eu_cn_works"], len(ws), f"09 works {period}")
        same(r["eu_cn_works_with_pla"], counts["pla"], f"09 PLA {period}")
        same(r["eu_cn_works_defence_linked"], counts["defence_linked"], f"09 defence-linked {period}")
        same(r["eu_cn_works_security_linked"], counts["security_linked"], f"09 security-linked {period}")
        same(r["share_with_pla"], share(counts["pla"], len(ws)), f"09 PLA share {period}")
        same(r["share_defence_linked"], share(counts["defence_linked"], len(ws)), f"09 defence-linked share {period}")
    same(rows[SPAN]["eu_cn_works_with_pla"], planted["figures"][f"eu_cn_works_with_pla|EUROPE|{SPAN}"], "09 span")


def test_10_and_11_the_figures_beside_merics_and_in_force_are_the_planted_ones(answer, planted):
    f = planted["figures"]
    rows = answer("10")
    assert rows
    for r in rows:
        same(r["value"], f[f"{r['metric']}|{r['scope']}|{r['period']}"], f"10 {r['metric']} {r['scope']} {r['period']}")
    in_force = [r for r in answer("11") if r["is_definition_in_force"]]
    assert {r["metric"] for r in in_force} == {"eu_cn_works", "eu_cn_share_defence_linked"}
    for r in in_force:
        same(r["value"], f[f"{r['metric']}|EUROPE|{SPAN}"], f"11 {r['metric']}")


def test_12_lists_the_newest_works_with_a_pla_or_defence_linked_partner(answer, works):
    tagged = sorted((w for w in works if w["tags"] & {"pla", "defence_linked"}), key=lambda w: (-int(w["year"]), w["id"]))
    rows = answer("12")
    assert [(r["work_id"], str(r["publication_year"])) for r in rows] == [(w["id"], w["year"]) for w in tagged][:50]


def test_13_and_14_tu_munichs_profile_and_partners_are_the_planted_ones(answer, planted):
    tum = next(p for p in planted["institutions"]["institutions"].values() if p["institution_ror"] == short_id(TUM_ROR))
    [profile] = answer("13")
    for column in ("eu_cn_works", "eu_cn_works_with_pla", "eu_cn_works_defence_linked", "eu_cn_works_security_linked",
                   "chinese_partners", "chinese_partners_defence_linked", "first_year", "last_year", "ai_works",
                   "share_of_ai_works_with_cn", "china_funded_works", "dual_use_works"):
        same(profile[column], tum[column], f"13 {column}")
    names = {short_id(i["id"]): i["display_name"] for i in Pool.load().institutions()}
    partners = answer("14")
    assert sorted((r["partner_name"], r["eu_cn_works"]) for r in partners) == sorted(
        (names[k], v["eu_cn_works"]) for k, v in tum["partners"].items())


def test_15_the_european_partners_of_beihang_and_its_labs_are_counted_from_the_records(answer, works):
    pool = Pool.load()
    beihang = next(i["id"] for i in pool.china if (i.get("ror") or "").endswith(BEIHANG_ROR))
    under = {i["id"] for i in pool.china if i["id"] == beihang or beihang in (i.get("lineage") or [])}
    per_european = Counter(eu for w in works if set(w["chinese"]) & under for eu in w["europeans"])
    names = {i["id"]: i["display_name"] for i in pool.institutions()}
    rows = answer("15")
    assert sorted((r["institution_name"], r["eu_cn_works"]) for r in rows) == sorted(
        (names[k], n) for k, n in per_european.items())


def test_16_the_growth_indexes_follow_the_planted_yearly_counts(answer, planted):
    f = planted["figures"]
    rows = {str(r["publication_year"]): r for r in answer("16")}
    assert sorted(rows) == YEARS
    for column, key in (("europe_ai_output_index", "europe_ai_works|EUROPE"), ("china_ai_output_index", "cn_ai_works|CN"),
                        ("uk_ai_output_index", "country_ai_works|GB"), ("germany_ai_output_index", "country_ai_works|DE"),
                        ("eu_cn_works_index", "eu_cn_works|EUROPE")):
        for y in YEARS:
            want = share(100 * f[f"{key}|{y}"], f[f"{key}|{YEARS[0]}"])
            assert abs((rows[y][column] or 0) - want) < 0.5, (column, y, rows[y][column], want)


def test_17_counts_each_european_institutions_works_with_a_listed_entity_once(answer, works, demo_run):
    """Written separately: a work counts once per European institution and listed entity, however many of the
    entity's institutions (a lab and its parent) are on it."""
    with duckdb.connect(str(demo_run["settings"].warehouse_path), read_only=True) as con:
        entity_of = defaultdict(set)
        for cn, entity in con.execute("select distinct chinese_institution_id, chinese_risk_entity_id "
                                      "from marts.agg_institution_links where chinese_risk_entity_id is not null"
                                      ).fetchall():
            entity_of[f"https://openalex.org/{cn}"].add(entity)
        names = dict(con.execute("select distinct risk_entity_id, chinese_risk_entity_name from ("
                                 "select chinese_risk_entity_id as risk_entity_id, chinese_risk_entity_name "
                                 "from marts.agg_institution_links)").fetchall())
    per_pair = Counter((eu, entity) for w in works for eu in w["europeans"]
                       for entity in set().union(*(entity_of[cn] for cn in w["chinese"])))
    institution_names = {i["id"]: i["display_name"] for i in Pool.load().institutions()}
    rows = answer("17")
    assert len(rows) == min(25, len(per_pair))
    want = Counter({(institution_names[eu], names[e]): n for (eu, e), n in per_pair.items()})
    for r in rows:
        assert r["eu_cn_works"] == want[(r["european_institution_name"], r["chinese_risk_entity_name"])], r
    assert [r["eu_cn_works"] for r in rows] == sorted(per_pair.values(), reverse=True)[:len(rows)]


def test_19_lists_exactly_the_works_with_a_pla_partner_and_their_number_is_the_figure(answer, planted, works):
    want = sorted((int(w["year"]), w["id"]) for w in works if "pla" in w["tags"])
    rows = answer("19")
    assert [(r["publication_year"], r["work_id"]) for r in rows] == want
    assert {r["figure_value"] for r in rows} == {planted["figures"][f"eu_cn_works_with_pla|EUROPE|{SPAN}"]} == {len(want)}
    assert all(r["reason"].startswith("PLA partner: ") and r["risk_level"] == "pla" for r in rows), rows
