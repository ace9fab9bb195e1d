"""`make profile INSTITUTION=…`: one European institution's Europe–China AI works, its Chinese partners with their
risk tags and why, the per-year trend, top funders and dual-use works, printed from the published warehouse.

The institution is a ROR id (bare `02kkvpp62` or `https://ror.org/02kkvpp62`), an OpenAlex id (`I62916508` or
its URL) or part of a name. The published file is opened read-only: a run publishes by swapping the file whole,
so this works while a run is publishing. Every figure comes from the marts (institution_profiles,
institution_partners, agg_institution_years, fct_institution_eu_cn_works); nothing is recomputed here.

It also writes the institution's page, the same page the report asset writes for every institution
(`report/institutions/<ror>.html` beside the warehouse, rendered by `dagster_project.report`), and prints its path.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import textwrap
from pathlib import Path

import duckdb

from .lib.owned_paths import ForeignPathError
from .report import ReportInputError, report_dir, write_institution_page
from .settings import SettingsError, load_settings

# A ROR id is 0 + 6 base32 characters + 2 check digits; OpenAlex writes them as URLs, sometimes doubled.
ROR_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?ror\.org/", re.IGNORECASE)
ROR_ID = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")
OPENALEX_ID = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:institutions/)?)?(i\d+)$", re.IGNORECASE)
PROFILE_MARTS = ("institution_profiles", "institution_partners", "agg_institution_years", "fct_institution_eu_cn_works")
RISK_ORDER = {"pla": 0, "defence_linked": 1, "security_linked": 2, "listed": 3, "none": 4}
WIDTH = 110
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ProfileError(Exception):
    """A message for the analyst; the command exits non-zero with it."""


def bare_ror(text: str) -> str | None:
    """The bare ROR id in a typed id (`02kkvpp62`, `https://ror.org/02kkvpp62`, a doubled prefix), else None."""
    value = text.strip().rstrip("/")
    while ROR_URL_PREFIX.match(value):
        value = ROR_URL_PREFIX.sub("", value, count=1)
    value = value.lower()
    return value if ROR_ID.match(value) else None


def short_openalex_id(text: str) -> str | None:
    match = OPENALEX_ID.match(text.strip().rstrip("/"))
    return match.group(1).upper() if match else None


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.is_file():
        raise ProfileError(f"No published warehouse at {path}: run `make run` first (or set WAREHOUSE_PATH).")
    con = duckdb.connect(str(path), read_only=True)
    present = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    missing = [m for m in PROFILE_MARTS if m not in present]
    if missing:
        con.close()
        raise ProfileError(f"{path} has no marts.{', marts.'.join(missing)}: it was built before the institution "
                           "profiles existed; rebuild it with `make run`.")
    return con


def printable(value):
    """`value` (a text, or the texts in a row, a list or a struct) with each control character shown as its escape
    (`\\x1b`, `\\n`): names are printed as data, never obeyed by the terminal (an escape sequence in a name could
    clear the screen or rewrite a line) and never break a line of the profile."""
    if isinstance(value, str):
        return CONTROL_CHARACTER.sub(lambda m: m.group().encode("unicode_escape").decode(), value)
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


def _rows(con, sql: str, params: list | None = None) -> list[dict]:
    """The rows as dicts, their texts printable."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [printable(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def find(con, query: str) -> list[dict]:
    """Profiles matching the query: by ROR id, by OpenAlex id, else by a case-insensitive part of the name
    (an exact name wins over longer names that contain it)."""
    base = "select institution_id, institution_ror, institution_name, country_code, eu_cn_works from marts.institution_profiles"
    if ror := bare_ror(query):
        return _rows(con, f"{base} where institution_ror = ?", [ror])
    if openalex_id := short_openalex_id(query):
        return _rows(con, f"{base} where institution_id = ?", [openalex_id])
    text = query.strip()
    if not text:
        raise ProfileError("Give an institution: a ROR id, an OpenAlex id or part of its name.")
    found = _rows(con, f"{base} where institution_name ilike '%' || ? || '%' order by eu_cn_works desc, institution_name",
                  [text])
    exact = [r for r in found if r["institution_name"].lower() == text.lower()]
    return exact if len(exact) == 1 else found


def explain_unknown(con, query: str) -> str:
    """Why nothing matched: the institution is known but on no Europe–China work, or a parent organisation, or
    unknown (then the closest names)."""
    ror, openalex_id = bare_ror(query), short_openalex_id(query)
    if ror or openalex_id:
        known = _rows(con, "select institution_id, institution_name, country_code, is_european from marts.dim_institutions"
                           " where ror_id = ? or institution_id = ?", [ror, openalex_id])
        if known:
            k = known[0]
            name = f"{k['institution_name']} ({k['institution_id']}, {k['country_code']})"
            if not k["is_european"]:
                return (f"{name} is not a European institution; profiles cover European ones. Its European partners: "
                        "marts.institution_partners where partner_institution_id = the id above, or "
                        "marts.agg_risk_entity_partners for a risk-list entity.")
            return f"{name} is on no Europe–China AI work of the study period directly, as an authorship's institution."
        parents = _rows(con, "select parent_institution_id, parent_name, eu_cn_works, member_institutions"
                             " from marts.agg_institution_parent_profiles where parent_ror = ? or parent_institution_id = ?",
                        [ror, openalex_id])
        if parents:
            p = parents[0]
            return (f"{p['parent_name'] or p['parent_institution_id']} is on no work itself, but as a parent organisation "
                    f"(OpenAlex lineage) its {p['member_institutions']} member institution(s) have {p['eu_cn_works']} "
                    "Europe–China AI works: see marts.agg_institution_parent_profiles and its member_institution_ids.")
        return f"No institution with {'ROR id ' + ror if ror else 'OpenAlex id ' + openalex_id} is in this warehouse."
    names = [r[0] for r in con.execute("select institution_name from marts.institution_profiles").fetchall()]
    by_lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(query.strip().lower(), list(by_lower), n=5, cutoff=0.5)
    words = [w for w in re.findall(r"\w{4,}", query.lower())]
    close += [n.lower() for n in names if any(w in n.lower() for w in words) and n.lower() not in close][: 5 - len(close)]
    hint = ("Closest names: " + "; ".join(by_lower[c] for c in close) + ".") if close else \
        "No similar name among the European institutions with Europe–China AI works."
    return f"No European institution on a Europe–China AI work matches {query.strip()!r}. {hint}"


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _wrap(text: str, indent: int) -> str:
    """Lines of WIDTH characters broken at spaces only: a word longer than a line (a title without spaces, a DOI)
    stays whole, to be searched for and copied."""
    return textwrap.fill(text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * indent,
                         break_long_words=False, break_on_hyphens=False)


def render(con, institution_id: str, partners_shown: int) -> str:
    p = _rows(con, "select * from marts.institution_profiles where institution_id = ?", [institution_id])[0]
    partners = _rows(con, "select * from marts.institution_partners where institution_id = ?", [institution_id])
    years = _rows(con, "select * from marts.agg_institution_years where institution_id = ? order by publication_year",
                  [institution_id])
    dual_use = _rows(con, """select publication_year, title, doi, dual_use_areas, risk_level
                             from marts.fct_institution_eu_cn_works where institution_id = ? and is_dual_use
                             order by publication_year desc, work_id desc""", [institution_id])
    out = [
        f"{p['institution_name']} ({p['country_code']}) — ROR {p['institution_ror'] or 'none'}, OpenAlex {p['institution_id']}",
        f"Data: {p['dataset_label']}",
        f"Definitions: {p['definition_set']} (Europe = {p['europe_definition']}; see docs/definitions.md)",
        "",
        "Totals (Europe–China AI works, directly as an authorship's institution)",
        f"  works {p['eu_cn_works']} ({p['first_year']}–{p['last_year']}); with a PLA partner {p['eu_cn_works_with_pla']}; "
        f"defence-linked (PLA included) {p['eu_cn_works_defence_linked']} ({_pct(p['share_defence_linked'])}); "
        f"security-linked {p['eu_cn_works_security_linked']}",
        f"  Chinese partners {p['chinese_partners']}: PLA {p['chinese_partners_pla']}, defence-linked "
        f"{p['chinese_partners_defence_linked']}, security-linked {p['chinese_partners_security_linked']}; "
        f"risk-list entities behind them {p['chinese_risk_entities']}",
        f"  own AI output {p['ai_works'] if p['ai_works'] is not None else 'unknown (API source)'}; "
        f"co-authored with China {_pct(p['share_of_ai_works_with_cn'])}",
        f"  China-funded {p['china_funded_works']}; Chinese-government-funded {p['chinese_gov_funded_works']}; "
        f"defence-programme-funded {p['defence_programme_funded_works']}; dual-use {p['dual_use_works']}",
        f"  rank by defence-linked works among European institutions: {p['rank_by_defence_linked_works']}",
        "",
    ]
    partners.sort(key=lambda r: (RISK_ORDER.get(r["partner_risk_level"], 9), -r["eu_cn_works"], r["partner_name"] or ""))
    shown = f", first {partners_shown}" if len(partners) > partners_shown else ""
    out.append(f"Chinese partners ({len(partners)}; riskiest first{shown})")
    for r in partners[:partners_shown]:
        out.append(f"  {r['partner_name']} [{r['partner_institution_id']}, ROR {r['partner_ror'] or 'none'}] — "
                   f"{r['eu_cn_works']} works {r['first_year']}–{r['last_year']}, risk: {r['partner_risk_level']}")
        for entity in r["partner_risk_entities"]:
            out.append(_wrap(f"tag: {entity['reason']}; source: {entity['source_url'] or 'n/a'}", 6))
        if r["dual_use_areas"]:
            out.append(_wrap(f"dual-use areas: {', '.join(r['dual_use_areas'])}", 6))
        newest = r["newest_works"][0] if r["newest_works"] else None
        if newest:
            out.append(_wrap(f"newest: {newest['publication_year']} {newest['title']} (doi {newest['doi'] or 'none'})", 6))
    out += ["", "Per year          AI works  EU–CN  PLA  defence-linked  share with CN"]
    peak = max((y["eu_cn_works"] for y in years), default=0) or 1
    for y in years:
        ai = "n/a" if y["ai_works"] is None else str(y["ai_works"])
        bar = "#" * round(20 * y["eu_cn_works"] / peak)
        out.append(f"  {y['publication_year']}          {ai:>8}  {y['eu_cn_works']:>5}  {y['eu_cn_works_with_pla']:>3}  "
                   f"{y['eu_cn_works_defence_linked']:>14}  {_pct(y['share_of_ai_works_with_cn']):>13}  {bar}")
    out += ["", "Top funders (Europe–China works naming them)"]
    out += [f"  {f['eu_cn_works']:>4}  {f['funder_name']}" for f in p["top_funders"]] or ["  none disclosed"]
    out += ["", f"Dual-use works ({len(dual_use)})"]
    for w in dual_use:
        out.append(_wrap(f"{w['publication_year']} {w['title']} (doi {w['doi'] or 'none'}; {', '.join(w['dual_use_areas'])}; "
                         f"partner risk: {w['risk_level']})", 2))
    if not dual_use:
        out.append("  none")
    out += ["", "All works: select * from marts.fct_institution_eu_cn_works where institution_id = "
                f"'{institution_id}';"]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make profile INSTITUTION=…",
        description="Print one European institution's Europe–China AI profile from the published warehouse.")
    parser.add_argument("institution", help="ROR id (02kkvpp62 or https://ror.org/02kkvpp62), OpenAlex id (I62916508) "
                                            "or part of the name")
    parser.add_argument("--warehouse", type=Path, help="the published DuckDB file (default: WAREHOUSE_PATH)")
    parser.add_argument("--partners", type=int, default=25, help="how many partners to list (default 25)")
    parser.add_argument("--page-dir", type=Path,
                        help="where to write the institution's page (default: report/ beside the warehouse)")
    args = parser.parse_args(argv)
    try:
        path = args.warehouse or load_settings().warehouse_path
        con = connect(path)
        with con:
            found = find(con, args.institution)
            if not found:
                raise ProfileError(explain_unknown(con, args.institution))
            if len(found) > 1:
                print(f"{len(found)} European institutions match {args.institution.strip()!r}; give one of these ids:")
                for r in found:
                    print(f"  {r['institution_id']:<13} ROR {r['institution_ror'] or 'none':<10} {r['country_code']}  "
                          f"{r['eu_cn_works']:>4} works  {r['institution_name']}")
                return 0
            print(render(con, found[0]["institution_id"], args.partners))
            out_dir = args.page_dir or report_dir(path)
            try:
                # No --page-dir: the report folder beside the warehouse, which the warehouse owns (marked when made).
                page = write_institution_page(con, path, found[0]["institution_id"], args.page_dir)
            except ForeignPathError as err:
                raise ProfileError(f"{err} (Or give a folder of your own with --page-dir.)") from err
            except OSError as err:
                raise ProfileError(f"The profile's page could not be written under {out_dir}: {err.strerror or err}. "
                                   "Give a writable folder with --page-dir.") from err
            print(f"\nPage: {page}")
    except (ProfileError, SettingsError, ReportInputError) as err:
        print(printable(str(err)), file=sys.stderr)  # it may quote names and the query as typed
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
