"""The figures `make run` prints at the end, read back by the label printed beside each and compared with the demo's
planted truth (tests/planted), never with the warehouse: a figure printed on another figure's line fails here."""

from __future__ import annotations

import contextlib
import io
import re
import shutil

import pytest

from dagster_project.demo_data.generator import PERIOD

SPAN = f"{PERIOD[0]}-{PERIOD[1]}"
YEARS = [str(y) for y in range(PERIOD[0], PERIOD[1] + 1)]
# The yearly table's column heading -> the planted figure of its cells.
COLUMNS = {"EU–CN works": "eu_cn_works|EUROPE", "Europe AI": "europe_ai_works|EUROPE",
           "Europe share": "europe_share_with_cn|EUROPE", "China AI": "cn_ai_works|CN",
           "China share": "cn_share_with_europe|CN", "GB share w/ CN": "country_share_with_cn|GB"}
# The span table's line label -> the planted figure; "of them on affiliation text alone" is the part of the line
# above it that rests on text alone.
LINES = {
    "Europe–China AI works": "eu_cn_works|EUROPE",
    "share of Europe's AI output with China": "europe_share_with_cn|EUROPE",
    "share of China's AI output with Europe": "cn_share_with_europe|CN",
    "UK share of Europe–China works": "country_share_of_eu_cn_works|GB",
    "UK co-authored share of China's AI output": "cn_share_with_country|GB",
    "works with a PLA institution": "eu_cn_works_with_pla|EUROPE",
    "works with a defence-linked institution (PLA included)": "eu_cn_works_defence_linked|EUROPE",
    "share with a defence-linked institution (PLA incl.)": "eu_cn_share_defence_linked|EUROPE",
    "works with a security-linked institution": "eu_cn_works_security_linked|EUROPE",
    "works in a dual-use area": "eu_cn_works_dual_use|EUROPE",
    "works disclosing funding": "eu_cn_works_funding_disclosed|EUROPE",
    "China-funded (share of disclosing)": "share_china_funded_of_disclosed|EUROPE",
    "Chinese-government-funded (share of disclosing)": "share_china_gov_funded_of_disclosed|EUROPE",
    "works funded by the defence basic research programme": "eu_cn_works_defence_programme_funded|EUROPE",
}
TEXT_ONLY = {"eu_cn_works_with_pla|EUROPE": "eu_cn_works_with_pla_by_text_only|EUROPE",
             "eu_cn_works_defence_linked|EUROPE": "eu_cn_works_defence_linked_by_text_only|EUROPE"}


@pytest.fixture(scope="module")
def printed(demo_run, tmp_path_factory) -> list[str]:
    from dagster_project.run import print_headline

    assert demo_run["result"].success, "the demo run failed"
    # A copy: no other reader of the session's published file is disturbed.
    copy = shutil.copy(demo_run["settings"].warehouse_path, tmp_path_factory.mktemp("headline") / "openalex.duckdb")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_headline(copy)
    return out.getvalue().splitlines()


@pytest.fixture(scope="module")
def planted(demo_run) -> dict:
    from tests.planted import truth_of

    return truth_of(demo_run["settings"].raw_dir / "demo" / "snapshot")["figures"]


def shows(text: str, value: float | None, what: str) -> None:
    text = text.strip()
    if value is None:
        assert text == "—", f"{what}: printed {text}, planted none"
        return
    number = float(text[:-1].replace(",", "")) / 100 if text.endswith("%") else float(text.replace(",", ""))
    assert abs(number - value) <= (0.0005 if text.endswith("%") else 0.5), f"{what}: printed {text}, planted {value}"


def test_each_column_of_the_yearly_table_shows_the_planted_figure_of_its_heading(printed, planted):
    head = next(i for i, line in enumerate(printed) if line.startswith("year "))
    headings = re.split(r"\s{2,}", printed[head].strip())[1:]
    assert sorted(headings) == sorted(COLUMNS)
    rows = {line.split()[0]: line.split()[1:] for line in printed[head + 2:head + 3 + len(YEARS)]}
    assert list(rows) == [*YEARS, SPAN]
    for period, cells in rows.items():
        for heading, cell in zip(headings, cells, strict=True):
            shows(cell, planted[f"{COLUMNS[heading]}|{period}"], f"{heading} {period}")


def test_each_line_of_the_span_table_shows_the_planted_figure_of_its_label(printed, planted):
    head = next(i for i, line in enumerate(printed) if line.startswith("figure "))
    seen, above = set(), None
    for line in printed[head + 2:]:
        if not line.strip():
            break
        label, value = line[:56].strip(), line[57:67]
        if label.startswith("top-10 DE-CN institution links with TU Munich"):
            assert value.strip() == f"{planted[f'top10_links_involving_tum|DE-CN|{SPAN}']:.0f} of 10"
            seen.add(label)
            continue
        key = TEXT_ONLY[above] if label == "of them on affiliation text alone" else LINES[label]
        shows(value, planted[f"{key}|{SPAN}"], label)
        seen.add(label)
        above = key
    assert seen == {*LINES, "of them on affiliation text alone", "top-10 DE-CN institution links with TU Munich"}
