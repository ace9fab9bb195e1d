"""`make works FIGURE=<metric> [SCOPE=…] [PERIOD=…]`: the works behind one figure of marts.headline_figures, printed
from the published warehouse (marts.figure_works), as a table or, with `--csv`, as CSV on stdout.

The scope defaults to EUROPE and the period to the study span when the metric has them; a metric with several
scopes or periods and neither of those says which it has. A share prints its numerator and denominator figures
(marts.figure_parts) with their counts and the command that lists each. A figure whose value does not come from
works the warehouse holds (AI output from OpenAlex's group_by counts in API mode, the institution-link figure)
says so. The published file is opened read-only, as `make profile` opens it: a run publishes by swapping the file
whole, so this works while a run is publishing. Every value typed reaches the SQL as a bound parameter.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import os
import sys
from pathlib import Path

import duckdb

from .lib.published_reader import open_published
from .profile_lookup import printable, rows_of
from .report import wording
from .settings import SettingsError, load_settings

WORKS_MARTS = ("headline_figures", "figure_works", "figure_parts")
SUGGESTIONS = 5
TITLE_CHARS = 60
REASON_CHARS = 90
CSV_COLUMNS = ("work_id", "publication_year", "title", "doi", "reason", "risk_level", "risk_reasons_text",
               "funder_names")


class WorksError(Exception):
    """A message for the analyst; the command exits with `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    return open_published(path, tuple(WORKS_MARTS), "the works behind the figures were kept", WorksError)


def command(metric: str, scope: str, period: str) -> str:
    return f"make works FIGURE={metric} SCOPE={scope} PERIOD={period}"


# Every figure the command knows: the headline figures, and the shares' parts that are no headline figure.
FIGURES = """select metric, scope, period, value, unit, denominator_source from marts.headline_figures
             union all
             select distinct part_metric, part_scope, part_period, part_value, 'works', part_source
             from marts.figure_parts where not is_headline_figure"""


def _shorten(text: str | None, chars: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= chars else text[:chars - 1] + "…"


def _choose(kind: str, metric: str, given: str | None, present: list[str], default: str) -> str:
    """The scope or period asked for, or the default one, or the only one; else a WorksError saying which exist."""
    flag = kind.upper()
    if given is not None:
        # Scopes are codes written in capitals (EUROPE, CN, GB): `gb` is GB.
        for value in (given, given.upper()):
            if value in present:
                return value
        raise WorksError(f"{metric} has no {kind} {given!r}; its {kind}s: {', '.join(present)}.")
    if default in present:
        return default
    if len(present) == 1:
        return present[0]
    raise WorksError(f"{metric} has {len(present)} {kind}s: {', '.join(present)}; give one with {flag}=….", 2)


def find_figure(con, metric: str, scope: str | None, period: str | None) -> dict:
    """The figure asked for, the defaults filled in; WorksError for an unknown metric (with the closest names), or
    a scope or period it does not have (with those it has)."""
    figures = rows_of(con, f"select * from ({FIGURES}) where metric = ?", [metric])
    if not figures:
        names = [r[0] for r in con.execute(f"select distinct metric from ({FIGURES})").fetchall()]
        close = difflib.get_close_matches(metric, names, n=SUGGESTIONS, cutoff=0.5)
        hint = f"closest: {', '.join(close)}" if close else "the metrics are in marts.headline_figures"
        raise WorksError(f"No figure is named {printable(metric)!r}; {hint}.")
    span = con.execute("select min(period) from marts.headline_figures where period like '%-%'").fetchone()[0]
    scope = _choose("scope", metric, scope, sorted({f["scope"] for f in figures}), "EUROPE")
    in_scope = [f for f in figures if f["scope"] == scope]
    period = _choose("period", metric, period, sorted({f["period"] for f in in_scope}), span)
    return next(f for f in in_scope if f["period"] == period)


def share_lines(con, figure: dict) -> list[str]:
    parts = rows_of(con, "select * from marts.figure_parts where metric = ? and scope = ? and period = ? "
                         "order by part desc", [figure["metric"], figure["scope"], figure["period"]])
    value = "n/a" if figure["value"] is None else f"{100 * figure['value']:.1f} %"
    out = [f"{figure['metric']}, {figure['scope']}, {figure['period']}: {value}, a share; its works are its parts':"]
    for p in parts:
        count = "n/a" if p["part_value"] is None else wording.count(int(p["part_value"]), "work")
        how = (command(p["part_metric"], p["part_scope"], p["part_period"]) if p["is_in_figure_works"] else
               "from OpenAlex's group_by counts (API mode): the warehouse holds no works behind it")
        out.append(f"  {p['part']:<11} {p['part_metric']}, {p['part_scope']}, {p['part_period']}: {count}")
        out.append(f"              {how}")
    return out


def works_of(con, figure: dict) -> list[dict]:
    return con.execute(
        "select work_id, publication_year, title, doi, reason, risk_level, risk_reasons_text, funder_names "
        "from marts.figure_works where metric = ? and scope = ? and period = ? order by publication_year, work_id",
        [figure["metric"], figure["scope"], figure["period"]]).fetchall()


def table_lines(figure: dict, works: list[tuple], label: str) -> list[str]:
    value = "n/a" if figure["value"] is None else wording.count(int(figure["value"]), "work")
    out = [f"{figure['metric']}, {figure['scope']}, {figure['period']}: {value}",
           f"Data: {label}", "",
           f"{'id':<12} {'year':<4}  {'title':<{TITLE_CHARS}}  {'DOI':<36}  reason"]
    for work_id, year, title, doi, reason, *_ in works:
        out.append(f"{work_id:<12} {year:<4}  {printable(_shorten(title, TITLE_CHARS)):<{TITLE_CHARS}}  "
                   f"{printable(doi or 'none'):<36}  {printable(_shorten(reason, REASON_CHARS))}")
    out += ["", f"{wording.count(len(works), 'work')} (titles and reasons cut to fit: --csv, or CSV=1 with make, "
                "gives them whole)"]
    return out


def write_csv(works: list[tuple], out) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in works:
        writer.writerow([*row[:-1], "; ".join(row[-1] or [])])


def run(con, metric: str, scope: str | None, period: str | None, as_csv: bool, out) -> None:
    figure = find_figure(con, metric, scope, period)
    if figure["unit"] == "share":
        print("\n".join(share_lines(con, figure)), file=out)
        return
    if figure["unit"] != "works":
        raise WorksError(f"{metric} counts {figure['unit']}, not works: the warehouse's marts behind it "
                         "(agg_institution_links) list them.")
    works = works_of(con, figure)
    if not works and figure["value"] and figure["denominator_source"] == "api_group_by":
        # (The dbt test assert_figure_works_reproduce_figures holds every other figure's works.)
        raise WorksError(f"{metric}, {figure['scope']}, {figure['period']} comes from OpenAlex's group_by counts (API "
                         "mode, where only Europe–China works are fetched): the warehouse holds no works behind it.")
    if as_csv:
        write_csv(works, out)
        return
    label = con.execute("select dataset_label from staging.stg_openalex__dataset").fetchone()[0]
    print("\n".join(table_lines(figure, works, printable(label))), file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make works FIGURE=…",
        description="Print the works behind one headline figure of the published warehouse.")
    parser.add_argument("figure", help="the figure's metric, as in marts.headline_figures (e.g. eu_cn_works_with_pla)")
    parser.add_argument("--scope", help="EUROPE (default when the metric has it), CN or a European country code")
    parser.add_argument("--period", help="a year, or the study span (default when the metric has it)")
    parser.add_argument("--csv", action="store_true", help="CSV on stdout instead of a table")
    parser.add_argument("--warehouse", type=Path, help="the published DuckDB file (default: WAREHOUSE_PATH)")
    args = parser.parse_args(argv)
    try:
        path = args.warehouse or load_settings().warehouse_path
        con = connect(path)
        with con:
            run(con, args.figure, args.scope, args.period, args.csv, sys.stdout)
    except WorksError as err:
        print(printable(str(err)), file=sys.stderr)
        return err.code
    except SettingsError as err:
        print(printable(str(err)), file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped early (`| head`): the rest goes nowhere, as the Python docs advise for a pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
