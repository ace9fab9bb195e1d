"""`make profile INSTITUTION=…` on the demo warehouse: a ROR id in either form, a name with several matches, an
unknown name or a typo (the closest names), a Chinese institution by name or id (its European partners, the reverse
view); figures, ranks (ties shared), the partners' order and the wording of counts and periods checked against the
demo's planted truth or the rule written out here, the file opened read-only."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project import profile_cli
from dagster_project.profile_lookup import bare_ror, short_openalex_id
from dagster_project.report.study import RISK_LEVELS
from dagster_project.study_definitions import dbt_vars
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
TUM = "02kkvpp62"


def test_ror_ids_are_read_by_the_projects_one_rule_and_openalex_ids_in_either_form():
    with (ROOT / "tests" / "fixtures" / "ror_id_cases.csv").open(newline="", encoding="utf-8") as cases:
        for case in csv.DictReader(cases):  # the shared table of accepted and rejected forms
            assert bare_ror(case["input"]) == (case["expected"] or None), case["why"]
    assert short_openalex_id("https://openalex.org/I62916508") == "I62916508"
    assert short_openalex_id("i62916508") == "I62916508"


def _profile(warehouse: Path, query: str, *extra: str) -> subprocess.CompletedProcess:
    """In this process (the first test runs the command as its own process, as `make profile` does)."""
    return run_main(profile_cli.main, [query, "--warehouse", str(warehouse), *extra])


def _profile_process(warehouse: Path, query: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.profile_cli", query, "--warehouse", str(warehouse), *extra],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


@pytest.fixture(scope="module")
def published(demo_run):
    assert demo_run["result"].success, "the demo run failed"
    truth = json.loads((demo_run["settings"].raw_dir / "demo" / "snapshot" / "truth.json").read_text())
    return demo_run["settings"].warehouse_path, truth["institutions"]["institutions"]


def test_a_ror_id_as_url_or_bare_prints_the_planted_profile(published):
    warehouse, planted = published
    tum_id, tum = next((k, p) for k, p in planted.items() if p["institution_ror"] == TUM)
    before = warehouse.stat().st_mtime_ns
    # Another reader holds the file meanwhile: the command only reads.
    with duckdb.connect(str(warehouse), read_only=True):
        outputs = [_profile_process(warehouse, TUM)] + [_profile(warehouse, q) for q in (f"https://ror.org/{TUM}", tum_id)]
    assert warehouse.stat().st_mtime_ns == before
    for done in outputs:
        assert done.returncode == 0, done.stderr
        assert done.stdout == outputs[0].stdout
    text = outputs[0].stdout
    assert text.startswith(f"{tum['institution_name']} (DE) — ROR {TUM}, OpenAlex {tum_id}")
    assert "SYNTHETIC" in text
    span = str(tum["first_year"]) if tum["first_year"] == tum["last_year"] else f"{tum['first_year']}–{tum['last_year']}"
    assert (f"works {tum['eu_cn_works']} ({span}); "
            f"with a PLA partner {tum['eu_cn_works_with_pla']}; defence-linked (PLA included) "
            f"{tum['eu_cn_works_defence_linked']}") in text
    assert f"Chinese partners {tum['chinese_partners']}: PLA {tum['chinese_partners_pla']}, defence-linked " \
           f"(PLA included) {tum['chinese_partners_defence_linked']}" in text
    assert f"own AI output {tum['ai_works']}" in text
    years = dict(re.findall(r"^  (20\d\d) +\S+ +(\d+) ", text, flags=re.M))
    assert {y: int(n) for y, n in years.items()} == tum["eu_cn_works_per_year"]
    # Each tagged partner shows the entity, the path and the list.
    tagged = [cn for cn, v in tum["partners"].items() if v["tags"]]
    assert text.count("tag: ") >= len(tagged)
    assert "list:" in text and "Top funders" in text and "Dual-use works" in text
    assert "Since the last release: none before this one (the warehouse's first release)" in text


def test_a_name_matching_several_institutions_lists_them(published):
    warehouse, planted = published
    fragment = "univers"
    expected = {k for k, p in planted.items() if fragment in p["institution_name"].lower()}
    assert len(expected) > 1
    done = _profile(warehouse, fragment.upper())
    assert done.returncode == 0, done.stderr
    assert f"{len(expected)} European institutions on Europe–China AI works match 'UNIVERS'" in done.stdout
    listed = set(re.findall(r"^  (I\d+) ", done.stdout, flags=re.M))
    assert listed == expected


def test_an_unknown_name_says_so_with_the_closest_names_and_fails(published):
    warehouse, planted = published
    done = _profile(warehouse, "Technical Univercity of Munch")
    assert done.returncode == 1
    assert done.stdout == ""
    message = done.stderr.strip()
    assert message.startswith("No European or Chinese institution on a Europe–China AI work matches "
                              "'Technical Univercity of Munch'.")
    assert "Closest names: Technical University of Munich" in message
    assert "Traceback" not in done.stderr


def test_an_institution_neither_european_nor_chinese_or_a_missing_warehouse_gets_one_clear_sentence(published,
                                                                                                      tmp_path):
    warehouse, _ = published
    with duckdb.connect(str(warehouse), read_only=True) as con:
        other = con.execute("select institution_id from marts.dim_institutions where not is_european and not is_chinese "
                            "order by institution_id limit 1").fetchone()[0]
    done = _profile(warehouse, other)
    assert done.returncode == 1 and "is neither a European nor a Chinese institution" in done.stderr
    done = _profile(tmp_path / "nowhere.duckdb", TUM)
    assert done.returncode == 1 and "No published warehouse at" in done.stderr and "Traceback" not in done.stderr


def test_the_command_writes_the_institutions_page_as_the_report_does(published, tmp_path):
    warehouse, _ = published
    done = _profile(warehouse, TUM, "--page-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    page = Path(re.search(r"^Page: (.+)$", done.stdout, flags=re.M).group(1))
    assert page == tmp_path / "institutions" / f"{TUM}.html"
    # The same page the report asset wrote for every institution, but for the time it was generated.
    report_page = warehouse.parent / "report" / "institutions" / f"{TUM}.html"
    generated = re.compile(r"Generated [^<]* from")
    assert generated.sub("", page.read_text(encoding="utf-8")) == \
        generated.sub("", report_page.read_text(encoding="utf-8"))
    assert not (tmp_path / "institutions" / "index.html").exists()


def test_an_unwritable_page_folder_gets_one_clear_sentence(published, tmp_path):
    warehouse, _ = published
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = _profile(warehouse, TUM, "--page-dir", str(blocker))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"The profile's page could not be written under {blocker}" in done.stderr


def _chinese(warehouse: Path, name: str) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select institution_id, ror_id, risk_matches from marts.dim_institutions "
                          "where is_chinese and institution_name = ?", [name]).fetchone()
    return {"id": row[0], "ror": row[1], "risk_matches": row[2]}


def _european_partners(planted: dict, chinese_ids: set[str]) -> dict[str, int]:
    """From the planted truth: the European institutions with any of these Chinese partners, and their works with
    them (one partner each here)."""
    return {eu: sum(v["eu_cn_works"] for cn, v in p["partners"].items() if cn in chinese_ids)
            for eu, p in planted.items() if chinese_ids & set(p["partners"])}


def _listed(text: str) -> dict[str, int]:
    """The reverse view's direct European partners: id -> works."""
    section = text.split("European partners (")[1].split("\n\n")[0]
    return {i: int(n) for i, n in re.findall(r"^  .* \[(I\d+), ROR [^\]]+\] — (\d+) works?", section, flags=re.M)}


def test_a_chinese_institution_by_name_or_id_shows_its_european_partners(published):
    warehouse, planted = published
    tsinghua = _chinese(warehouse, "Tsinghua University")
    outputs = [_profile(warehouse, q) for q in ("Tsinghua University", "tsinghua", tsinghua["id"],
                                                 f"https://ror.org/{tsinghua['ror']}")]
    for done in outputs:
        assert done.returncode == 0, done.stderr
        assert done.stdout == outputs[0].stdout
    text = outputs[0].stdout
    assert text.startswith(f"Tsinghua University (CN) — ROR {tsinghua['ror']}, OpenAlex {tsinghua['id']}")
    assert "the reverse view" in text and "Page:" not in text
    expected = _european_partners(planted, {tsinghua["id"]})
    assert expected and _listed(text) == expected


def test_a_risk_list_entity_by_part_of_its_name_shows_its_units_partners_too(published):
    """"Beihang" matches Beihang University and a lab tagged through it: one answer, the entity's reverse view."""
    warehouse, planted = published
    beihang = _chinese(warehouse, "Beihang University")
    done = _profile(warehouse, "Beihang")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Beihang University (CN) — ROR {beihang['ror']}")
    assert _listed(done.stdout) == _european_partners(planted, {beihang["id"]})
    entity = next(m["entity_id"] for m in beihang["risk_matches"] if m["match_path"] == "own_ror")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        units = {r[0] for r in con.execute(
            "select institution_id from marts.dim_institutions where list_contains("
            "list_transform(risk_matches, m -> m.entity_id), ?) and institution_id <> ?", [entity, beihang["id"]])
            .fetchall()}
    through_units = set(_european_partners(planted, units)) - set(_european_partners(planted, {beihang["id"]}))
    if through_units:  # partners only through a unit are in the entity's section
        section = done.stdout.split("Through its units too")[1]
        names = {planted[i]["institution_name"] for i in through_units}
        assert all(f"  {n} (" in section for n in names), names


def test_a_one_letter_typo_gets_the_closest_names_and_fails(published):
    warehouse, _ = published
    for typed, meant in (("Tsinghau", "Tsinghua University"), ("Beihnag", "Beihang University"),
                         ("Univeristy of Oxford", "University of Oxford")):
        done = _profile(warehouse, typed)
        assert done.returncode == 1 and done.stdout == ""
        assert re.search(rf"Closest names: ([^.]*; )?{re.escape(meant)}[;.]", done.stderr), done.stderr


def _printed(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith(("All works", "All its", "Page:"))]


def test_counts_and_periods_read_as_words_do(published):
    """No "1 works", no "2021–2021": a single year is one year, one work is one work."""
    warehouse, planted = published
    one_year = next(k for k, p in planted.items() if p["first_year"] == p["last_year"])
    queries = [TUM, one_year, "Tsinghua University", "Beihang"]
    for query in queries:
        done = _profile(warehouse, query)
        assert done.returncode == 0, done.stderr
        for line in _printed(done.stdout):
            assert not re.search(r"(?<![\d,.])1 (works|partners|member institutions)\b", line), line
            assert not re.search(r"\b(\d{4})–\1\b", line), line
    single = _profile(warehouse, one_year).stdout
    assert f"works {planted[one_year]['eu_cn_works']} ({planted[one_year]['first_year']});" in single


def _competition_rank(key, keys: list) -> tuple[int, bool]:
    """Rank 1 for the largest key, equal keys sharing a rank; and whether it is shared."""
    return 1 + sum(k > key for k in keys), keys.count(key) > 1


def test_ranks_are_shared_by_equal_figures_and_shares_rank_only_above_the_minimum(published):
    warehouse, planted = published
    minimum = int(dbt_vars()["share_ranking_min_works"])
    exposure = {k: (p["eu_cn_works_defence_linked"], p["eu_cn_works"]) for k, p in planted.items()}
    tied = next(k for k, key in exposure.items() if list(exposure.values()).count(key) > 1)
    shares = {k: p["eu_cn_works"] / p["ai_works"] for k, p in planted.items() if p["ai_works"] >= minimum}
    small = next(k for k, p in planted.items() if p["ai_works"] < minimum and p["eu_cn_works"] == p["ai_works"])
    big = max(shares, key=shares.get)
    for iid in (tied, small, big, next(k for k, p in planted.items() if p["institution_ror"] == TUM)):
        text = _profile(warehouse, iid).stdout
        rank, shared = _competition_rank(exposure[iid], list(exposure.values()))
        assert f"partner: {rank}{'=' if shared else ''} of {len(planted)} European institutions" in text, iid
        line = next(line for line in text.splitlines() if "rank by share of its AI output" in line)
        if iid in shares:
            rank, shared = _competition_rank(shares[iid], list(shares.values()))
            assert f": {rank}{'=' if shared else ''} of {len(shares)} (those with at least {minimum} AI works)" in line
        else:
            assert f"not ranked (fewer than {minimum} AI works)" in line
    # A share of 1 of 1 (or n of n) under the minimum never outranks the largest share above it.
    assert planted[small]["eu_cn_works"] / planted[small]["ai_works"] == 1.0


def test_partners_are_listed_riskiest_first_then_by_works(published):
    """The one order of partners (the pages' too): risk level, highest first, then joint works, then name."""
    warehouse, planted = published
    tum_id = next(k for k, p in planted.items() if p["institution_ror"] == TUM)
    text = _profile(warehouse, TUM, "--partners", "1000").stdout
    section = text.split("Chinese partners (")[1].split("\n\n")[0]
    levels = {level.label: i for i, level in enumerate(RISK_LEVELS.values())}
    shown = [(levels[lvl], -int(n), name, iid) for name, iid, n, lvl in re.findall(
        r"^  (.+) \[(I\d+), ROR [^\]]+\] — (\d+) works?, [\d–]+, (.+)$", section, flags=re.M)]
    assert {iid: -n for _, n, _, iid in shown} == {cn: v["eu_cn_works"] for cn, v in planted[tum_id]["partners"].items()}
    assert shown == sorted(shown)
    # The planted tags agree with the levels printed: PLA partners first, then the defence-linked ones.
    pla = {cn for cn, v in planted[tum_id]["partners"].items() if "pla" in v["tags"]}
    assert {iid for lvl, _, _, iid in shown[:len(pla)]} == pla
