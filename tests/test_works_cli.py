"""`make works FIGURE=…` on the session's demo warehouse: the works behind a figure (the default scope and period, a
year, a country, a share's part that is no headline figure) as a table and as CSV, checked against the works counted
here from the demo snapshot's records and the planted figures; a share's parts; an unknown metric (the closest
names); a metric with several scopes; values typed that reach neither the shell nor the SQL as code."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project import works_cli
from tests.conftest import run_main
from tests.test_example_query_values import SPAN, works  # noqa: F401 (the records' works, a fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def warehouse(demo_run) -> Path:
    assert demo_run["result"].success, "the demo run failed"
    return demo_run["settings"].warehouse_path


@pytest.fixture(scope="module")
def planted(demo_run) -> dict:
    from tests.planted import truth_of

    return truth_of(demo_run["settings"].raw_dir / "demo" / "snapshot")


def _works_cli(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    """In this process (the first test runs the command as its own process, as `make works` does)."""
    return run_main(works_cli.main, [*args, "--warehouse", str(warehouse)])


def _works_cli_process(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dagster_project.works_cli", *args, "--warehouse", str(warehouse)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def _csv_ids(done: subprocess.CompletedProcess) -> list[tuple[int, str]]:
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    return [(int(r["publication_year"]), r["work_id"]) for r in rows]


def test_the_pla_figure_lists_the_works_with_a_pla_partner_in_the_records(warehouse, planted, works):  # noqa: F811
    want = sorted((int(w["year"]), w["id"]) for w in works if "pla" in w["tags"])
    assert len(want) == planted["figures"][f"eu_cn_works_with_pla|EUROPE|{SPAN}"]
    # No scope or period given: EUROPE and the span.
    assert _csv_ids(_works_cli_process(warehouse, "eu_cn_works_with_pla", "--csv")) == want

    table = _works_cli(warehouse, "eu_cn_works_with_pla")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == f"eu_cn_works_with_pla, EUROPE, {SPAN}: {len(want)} works"
    listed = [line.split()[:2] for line in lines if line.startswith("W")]
    assert [(int(year), work) for work, year in listed] == want
    assert all("PLA partner: " in line for line in lines if line.startswith("W"))


def test_a_year_and_a_country_list_that_year_s_and_country_s_works(warehouse, planted, works):  # noqa: F811
    year = SPAN.split("-")[0]
    want = sorted((int(w["year"]), w["id"]) for w in works if w["year"] == year)
    assert len(want) == planted["figures"][f"eu_cn_works|EUROPE|{year}"]
    assert _csv_ids(_works_cli(warehouse, "eu_cn_works", "--period", year, "--csv")) == want

    # A country's Europe–China works of one year: no headline figure, but the numerator of its yearly share.
    gb = sorted((int(w["year"]), w["id"]) for w in works
                if w["year"] == year and any(i["country_code"] == "GB" for i in w["europeans"].values()))
    assert gb
    assert _csv_ids(_works_cli(warehouse, "country_eu_cn_works", "--scope", "GB", "--period", year, "--csv")) == gb
    assert _csv_ids(_works_cli(warehouse, "country_eu_cn_works", "--scope", "gb", "--period", year, "--csv")) == gb


def test_a_share_names_its_parts_with_their_counts_and_how_to_list_each(warehouse, planted, works):  # noqa: F811
    done = _works_cli(warehouse, "eu_cn_share_defence_linked")
    assert done.returncode == 0, done.stderr
    defence = sum("defence_linked" in w["tags"] for w in works)
    assert defence == planted["figures"][f"eu_cn_works_defence_linked|EUROPE|{SPAN}"]
    assert done.stdout.splitlines() == [
        f"eu_cn_share_defence_linked, EUROPE, {SPAN}: {100 * defence / len(works):.1f} %, a share; its works are its "
        "parts':",
        f"  numerator   eu_cn_works_defence_linked, EUROPE, {SPAN}: {defence} works",
        f"              make works FIGURE=eu_cn_works_defence_linked SCOPE=EUROPE PERIOD={SPAN}",
        f"  denominator eu_cn_works, EUROPE, {SPAN}: {len(works)} works",
        f"              make works FIGURE=eu_cn_works SCOPE=EUROPE PERIOD={SPAN}",
    ]


def test_an_unknown_metric_gets_the_closest_names_and_a_metric_with_many_scopes_names_them(warehouse):
    done = _works_cli(warehouse, "eu_cn_wroks_pla")
    assert done.returncode == 1
    assert not done.stdout
    assert done.stderr.startswith("No figure is named 'eu_cn_wroks_pla'; closest: eu_cn_works_with_pla")
    assert len(done.stderr.strip().splitlines()) == 1

    done = _works_cli(warehouse, "country_ai_works")
    assert done.returncode == 2
    assert not done.stdout
    assert done.stderr.startswith("country_ai_works has ")
    assert " GB, " in done.stderr
    assert "SCOPE=" in done.stderr

    done = _works_cli(warehouse, "eu_cn_works", "--scope", "XX")
    assert done.returncode == 1
    assert "eu_cn_works has no scope 'XX'; its scopes: EUROPE." in done.stderr

    done = _works_cli(warehouse, "top10_links_involving_tum")
    assert done.returncode == 1
    assert "counts links, not works" in done.stderr


def test_values_typed_reach_neither_the_shell_nor_the_sql_as_code(warehouse, tmp_path):
    pwned = tmp_path / "pwned"
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse)}
    payloads = [("FIGURE", f"$(shell touch {pwned}-1)"), ("FIGURE", f'"; touch {pwned}-2; echo "'),
                ("SCOPE", f"`touch {pwned}-3`"), ("PERIOD", f"$(touch {pwned}-4)"),
                ("FIGURE", "eu_cn_works' or '1'='1")]
    probes = [subprocess.Popen(["make", "-s", "-o", ".venv/.installed", "works",
                                *(["FIGURE=eu_cn_works"] if name != "FIGURE" else []), f"{name}={value}"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for name, value in payloads]
    for (name, value), probe in zip(payloads, probes, strict=True):
        out, err = probe.communicate(timeout=120)
        assert probe.returncode != 0, err
        assert not out, out
        said = "No figure is named" if name == "FIGURE" else f"eu_cn_works has no {name.lower()} "
        assert said in err, err
        assert value in err, err
    assert not list(tmp_path.glob("pwned*"))
