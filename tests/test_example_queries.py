"""Every example query in docs/queries runs on the demo warehouse and answers with rows; a query whose mart is
missing fails. Query 07's defence-programme count equals the demo's planted figure; query 18 lists exactly the works
tagged on affiliation text alone, as many as the headline figures count; ROR ids typed as URLs or bare give the same
answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

QUERIES = sorted((Path(__file__).resolve().parent.parent / "docs" / "queries").glob("*.sql"))
TYPED_ROR = re.compile(r"'https://ror\.org/(0[a-z0-9]{8})'")
# Queries whose rows are a headline figure's works, which a data set may hold at zero: their own test checks them.
COUNTED = {"18_works_tagged_on_affiliation_text"}


def _run(demo_run, sql: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(demo_run["settings"].warehouse_path), read_only=True) as con:
        cursor = con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()


def test_there_are_example_queries_for_the_study_questions():
    names = " ".join(q.stem for q in QUERIES)
    for topic in ("per_year", "uk", "military", "pairs", "funders", "institution_profile", "partners", "growth",
                  "affiliation_text"):
        assert topic in names, topic


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_example_query_runs_and_returns_rows(query, demo_run):
    assert demo_run["result"].success, "the demo run failed"
    sql = query.read_text()
    assert sql.lstrip().startswith("--"), "each query starts with a comment saying what it answers"
    with duckdb.connect(str(demo_run["settings"].warehouse_path), read_only=True) as con:
        marts = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
        needed = set(re.findall(r"\bmarts\.(\w+)", sql))
        assert not needed - marts, f"{query.name} reads marts.{', marts.'.join(sorted(needed - marts))}, which the warehouse lacks"
        rows = con.execute(sql).fetchall()
    assert rows or query.stem in COUNTED, f"{query.name} returned no rows on the demo data"


@pytest.mark.parametrize("query", [q for q in QUERIES if TYPED_ROR.search(q.read_text())],
                         ids=lambda q: q.stem)
def test_a_ror_id_typed_as_url_or_bare_gives_the_same_answer(query, demo_run):
    sql = query.read_text()
    as_url = _run(demo_run, sql)[1]
    bare = _run(demo_run, TYPED_ROR.sub(r"'\1'", sql))[1]
    doubled = _run(demo_run, TYPED_ROR.sub(r"'https://ror.org/https://ror.org/\1'", sql))[1]
    assert as_url and as_url == bare == doubled


def test_query_07_counts_only_the_works_that_name_the_defence_programme(demo_run):
    """A funder such as SASTIND funds civilian and defence-programme work alike: the programme belongs to the
    award, so the query must count the works whose award names it, not flag every work of the funder."""
    truth = json.loads((demo_run["settings"].raw_dir / "demo" / "snapshot" / "truth.json").read_text())
    planted = truth["figures"]["eu_cn_works_defence_programme_funded|EUROPE|2017-2022"]
    columns, rows = _run(demo_run, (QUERIES[0].parent / "07_top_funders.sql").read_text())
    assert "defence_programme_works" in columns, "query 07 must say how many works name the defence programme"
    found = [dict(zip(columns, r, strict=True)) for r in rows]
    sastind = [r for r in found if "National Defense" in r["funder_name"]]
    assert sastind, "the demo's defence-programme funder is among the top funders"
    # Every defence-programme work of the demo names SASTIND; SASTIND also funds works outside the programme.
    assert sum(r["defence_programme_works"] for r in found) == sastind[0]["defence_programme_works"] == planted
    assert 0 < planted < sastind[0]["eu_cn_works"]
    assert all(r["defence_programme_works"] <= r["eu_cn_works"] for r in found)


def test_query_18_lists_the_works_tagged_on_affiliation_text_alone_with_their_evidence(demo_run):
    """Its works are exactly those of fct_eu_cn_works tagged PLA or defence-linked with no Chinese institution
    carrying the tag, as many as headline_figures (and the demo's planted truth) count, each with the affiliation
    strings that tagged it; for any number of such works, none included."""
    columns, rows = _run(demo_run, (QUERIES[0].parent / "18_works_tagged_on_affiliation_text.sql").read_text())
    found = [dict(zip(columns, r, strict=True)) for r in rows]
    _, expected = _run(demo_run, "select work_id from marts.fct_eu_cn_works "
                                 "where has_pla_by_text_only or has_defence_linked_by_text_only")
    assert sorted(r["work_id"] for r in found) == sorted(w for (w,) in expected)
    _, [(span,)] = _run(demo_run, "select period from marts.agg_risk_year where not is_single_year")
    _, figures = _run(demo_run, "select metric, value from marts.headline_figures where scope = 'EUROPE' and "
                                f"period = '{span}' and metric like '%by_text_only'")
    figures = dict(figures)
    truth = json.loads((demo_run["settings"].raw_dir / "demo" / "snapshot" / "truth.json").read_text())["figures"]
    for flag, metric in (("has_pla_by_text_only", "eu_cn_works_with_pla_by_text_only"),
                         ("has_defence_linked_by_text_only", "eu_cn_works_defence_linked_by_text_only")):
        counted = sum(r[flag] for r in found)
        assert counted == figures[metric], metric
        planted = truth.get(f"{metric}|EUROPE|{span}")
        assert planted is None or counted == planted, f"{metric}: query {counted}, planted {planted}"
    for r in found:
        assert r["risk_level"] in ("pla", "defence_linked")
        # The evidence is the string that named a listed body, and the name found in it.
        assert r["text_evidence"], r["work_id"]
        assert all(e["affiliation_string"] and e["matched_name"] and e["entity_name"] for e in r["text_evidence"])
