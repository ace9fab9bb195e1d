"""`make profile INSTITUTION=…` on the demo warehouse: a ROR id in either form, a name with several matches, an
unknown name; figures checked against the demo's planted truth, the file opened read-only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.profile_cli import bare_ror, short_openalex_id

ROOT = Path(__file__).resolve().parent.parent
TUM = "02kkvpp62"


def test_ror_ids_are_accepted_in_every_form_an_analyst_types():
    for typed in (TUM, f"https://ror.org/{TUM}", f"http://ror.org/{TUM}/", f"ror.org/{TUM}", f" HTTPS://ROR.ORG/{TUM.upper()} ",
                  f"https://ror.org/https://ror.org/{TUM}"):
        assert bare_ror(typed) == TUM, typed
    for not_ror in ("Munich", "I62916508", "https://ror.org/", "02kkvpp6"):
        assert bare_ror(not_ror) is None, not_ror
    assert short_openalex_id("https://openalex.org/I62916508") == "I62916508"
    assert short_openalex_id("i62916508") == "I62916508"


def _profile(warehouse: Path, query: str, *extra: str) -> subprocess.CompletedProcess:
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
        outputs = [_profile(warehouse, q) for q in (TUM, f"https://ror.org/{TUM}", tum_id)]
    assert warehouse.stat().st_mtime_ns == before
    for done in outputs:
        assert done.returncode == 0, done.stderr
        assert done.stdout == outputs[0].stdout
    text = outputs[0].stdout
    assert text.startswith(f"{tum['institution_name']} (DE) — ROR {TUM}, OpenAlex {tum_id}")
    assert "SYNTHETIC" in text
    assert (f"works {tum['eu_cn_works']} ({tum['first_year']}–{tum['last_year']}); "
            f"with a PLA partner {tum['eu_cn_works_with_pla']}; defence-linked (PLA included) "
            f"{tum['eu_cn_works_defence_linked']}") in text
    assert f"Chinese partners {tum['chinese_partners']}: PLA {tum['chinese_partners_pla']}, defence-linked " \
           f"{tum['chinese_partners_defence_linked']}" in text
    assert f"own AI output {tum['ai_works']}" in text
    years = dict(re.findall(r"^  (20\d\d) +\S+ +(\d+) ", text, flags=re.M))
    assert {y: int(n) for y, n in years.items()} == tum["eu_cn_works_per_year"]
    # Each tagged partner shows the entity, the path and the list.
    tagged = [cn for cn, v in tum["partners"].items() if v["tags"]]
    assert text.count("tag: ") >= len(tagged)
    assert "list:" in text and "Top funders" in text and "Dual-use works" in text


def test_a_name_matching_several_institutions_lists_them(published):
    warehouse, planted = published
    fragment = "univers"
    expected = {k for k, p in planted.items() if fragment in p["institution_name"].lower()}
    assert len(expected) > 1
    done = _profile(warehouse, fragment.upper())
    assert done.returncode == 0, done.stderr
    assert f"{len(expected)} European institutions match" in done.stdout
    listed = set(re.findall(r"^  (I\d+) ", done.stdout, flags=re.M))
    assert listed == expected


def test_an_unknown_name_says_so_with_the_closest_names_and_fails(published):
    warehouse, planted = published
    done = _profile(warehouse, "Technical Univercity of Munch")
    assert done.returncode == 1
    assert done.stdout == ""
    message = done.stderr.strip()
    assert message.startswith("No European institution on a Europe–China AI work matches 'Technical Univercity of Munch'.")
    assert "Closest names: Technical University of Munich" in message
    assert "Traceback" not in done.stderr


def test_a_chinese_institution_or_missing_warehouse_gets_one_clear_sentence(published, tmp_path):
    warehouse, _ = published
    done = _profile(warehouse, "https://ror.org/05d2yfz11")  # NUDT
    assert done.returncode == 1 and "is not a European institution" in done.stderr
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
