"""`make profile INSTITUTION=…`: one European institution's Europe–China AI works, its Chinese partners with their
risk tags and why, the per-year trend, top funders and dual-use works, printed from the published warehouse; or,
for a Chinese institution, the reverse view: its European partners (and, for a risk-list entity, those of its
units).

The institution is a ROR id (bare `02kkvpp62` or `https://ror.org/02kkvpp62`), an OpenAlex id (`I62916508` or
its URL) or part of a name, looked up among the European institutions first, then among the Chinese ones on
Europe–China works; a name that matches none gets the closest names. The published file is opened read-only: a run
publishes by swapping the file whole, so this works while a run is publishing. Every figure comes from the marts
(institution_profiles, institution_partners, agg_institution_years, fct_institution_eu_cn_works, dim_institutions,
agg_risk_entity_partners); nothing is recomputed here. Counts, periods, ranks, risk levels, tag names and the
partners' order are worded as the pages word them (dagster_project.report).

For a European institution it also writes its page, the same page the report asset writes for every institution
(`report/institutions/<ror>.html` beside the warehouse, rendered by `dagster_project.report`), and prints its path.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from .lib.owned_paths import ForeignPathError
from .profile_lookup import (
    ProfileError,
    connect,
    explain_unknown,
    find,
    find_chinese,
    printable,
    rows_of,
)
from .report import ReportInputError, report_dir, wording, write_institution_page
from .report.institution_data import partner_order, share_ranking_min_works, shown_ranks
from .report.institutions import MATCH_PATHS
from .report.study import RISK_LEVELS, TAG_NAMES
from .settings import SettingsError, load_settings

WIDTH = 110


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _wrap(text: str, indent: int) -> str:
    """Lines of WIDTH characters broken at spaces only: a word longer than a line (a title without spaces, a DOI)
    stays whole, to be searched for and copied."""
    return textwrap.fill(text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * indent,
                         break_long_words=False, break_on_hyphens=False)


def _level(level: str) -> str:
    return RISK_LEVELS[level].label if level in RISK_LEVELS else level


def _tags(entities: list[dict]) -> list[str]:
    return [_wrap(f"tag: {e['reason']}; source: {e['source_url'] or 'n/a'}", 6) for e in entities]


def _ranks(con, p: dict) -> list[str]:
    shown_ranks(con, [p])
    total = con.execute("select count(*), count(rank_by_share_of_ai_works_with_cn) "
                        "from marts.institution_profiles").fetchone()
    minimum = share_ranking_min_works()
    if p["rank_by_share_of_ai_works_with_cn"] is None:
        by_share = f"not ranked (fewer than {minimum} AI works{' known' if p['ai_works'] is None else ''})"
    else:
        by_share = f"{p['share_rank_shown']} of {total[1]} (those with at least {minimum} AI works)"
    return [f"  rank by works with a {TAG_NAMES['defence_linked']} partner: {p['rank_shown']} of "
            f"{wording.count(total[0], 'European institution')} (\"=\": shared with equal figures)",
            f"  rank by share of its AI output co-authored with China: {by_share}"]


def _changes(con, institution_id: str) -> list[str]:
    """What the live release changed for the institution against the one before (marts.release_changes)."""
    if not rows_of(con, "select 1 from duckdb_tables() where schema_name = 'marts' and table_name = 'release_changes'", []):
        return []
    if rows_of(con, "select 1 from marts.release_changes where change_kind = 'first_release'", []):
        return ["Since the last release: none before this one (the warehouse's first release)", ""]
    since = rows_of(con, "select any_value(previous_release_id) as release_id from marts.release_changes", [])[0]["release_id"]
    rows = rows_of(con, """select * from marts.release_changes where institution_id = ?
                           order by list_position(['new_partner', 'partner_risk_level_changed', 'partner_gone', 'new_pla_works',
                                                   'new_defence_linked_works'], change_kind), partner_name""", [institution_id])
    out = [f"Since the last release{f' ({since})' if since else ''}: {wording.count(len(rows), 'change') if rows else 'no change'}"]
    for r in rows:
        partner = f"{r['partner_name']} [{r['partner_institution_id']}]"
        out.append(_wrap({
            "new_partner": f"new partner: {partner}, {_level(r['new_risk_level'])}",
            "partner_gone": f"partner gone: {partner} (was {_level(r['old_risk_level'])})",
            "partner_risk_level_changed": f"{partner}: {_level(r['old_risk_level'])} → {_level(r['new_risk_level'])} "
                                          f"(its {'risk-list entry' if r['change_cause'] == 'listing' else 'data'} changed)",
            "new_pla_works": f"{wording.count(r['works'], 'work')} newly with a PLA partner: {', '.join(r['work_ids'] or [])}",
            "new_defence_linked_works": f"{wording.count(r['works'], 'work')} newly with a {TAG_NAMES['defence_linked']} partner: "
                                        f"{', '.join(r['work_ids'] or [])}",
        }.get(r["change_kind"], r["change_kind"]), 2))
    return [*out, ""]


def render(con, institution_id: str, partners_shown: int) -> str:
    p = rows_of(con, "select * from marts.institution_profiles where institution_id = ?", [institution_id])[0]
    partners = rows_of(con, "select * from marts.institution_partners where institution_id = ?", [institution_id])
    years = rows_of(con, "select * from marts.agg_institution_years where institution_id = ? order by publication_year",
                  [institution_id])
    dual_use = rows_of(con, """select publication_year, title, doi, dual_use_areas, risk_level
                             from marts.fct_institution_eu_cn_works where institution_id = ? and is_dual_use
                             order by publication_year desc, work_id desc""", [institution_id])
    defence = TAG_NAMES["defence_linked"]
    out = [
        f"{p['institution_name']} ({p['country_code']}) — ROR {p['institution_ror'] or 'none'}, OpenAlex {p['institution_id']}",
        f"Data: {p['dataset_label']}",
        f"Definitions: {p['definition_set']} (Europe = {p['europe_definition']}; see docs/definitions.md)",
        "",
        "Totals (Europe–China AI works, directly as an authorship's institution)",
        f"  works {p['eu_cn_works']} ({wording.period(p['first_year'], p['last_year'])}); with a PLA partner "
        f"{p['eu_cn_works_with_pla']}; {defence} {p['eu_cn_works_defence_linked']} ({_pct(p['share_defence_linked'])}); "
        f"security-linked {p['eu_cn_works_security_linked']}",
        f"  Chinese partners {p['chinese_partners']}: PLA {p['chinese_partners_pla']}, {defence} "
        f"{p['chinese_partners_defence_linked']}, security-linked {p['chinese_partners_security_linked']}; "
        f"risk-list entities behind them {p['chinese_risk_entities']}",
        f"  own AI output {p['ai_works'] if p['ai_works'] is not None else 'unknown (API source)'}; "
        f"co-authored with China {_pct(p['share_of_ai_works_with_cn'])}",
        f"  China-funded {p['china_funded_works']}; Chinese-government-funded {p['chinese_gov_funded_works']}; "
        f"defence-programme-funded {p['defence_programme_funded_works']}; dual-use {p['dual_use_works']}",
        *_ranks(con, p),
        "",
        *_changes(con, institution_id),
    ]
    partners.sort(key=partner_order)
    shown = f", first {partners_shown}" if len(partners) > partners_shown else ""
    out.append(f"Chinese partners ({len(partners)}; riskiest first: by risk level, then joint works{shown})")
    for r in partners[:partners_shown]:
        out.append(f"  {r['partner_name']} [{r['partner_institution_id']}, ROR {r['partner_ror'] or 'none'}] — "
                   f"{wording.count(r['eu_cn_works'], 'work')}, {wording.period(r['first_year'], r['last_year'])}, "
                   f"{_level(r['partner_risk_level'])}")
        out += _tags(r["partner_risk_entities"])
        if r["dual_use_areas"]:
            out.append(_wrap(f"dual-use areas: {', '.join(r['dual_use_areas'])}", 6))
        newest = r["newest_works"][0] if r["newest_works"] else None
        if newest:
            out.append(_wrap(f"newest: {newest['publication_year']} {newest['title']} (doi {newest['doi'] or 'none'})", 6))
    out += ["", f"Per year          AI works  EU–CN  PLA  {defence}  share with CN"]
    peak = max((y["eu_cn_works"] for y in years), default=0) or 1
    for y in years:
        ai = "n/a" if y["ai_works"] is None else str(y["ai_works"])
        bar = "#" * round(20 * y["eu_cn_works"] / peak)
        out.append(f"  {y['publication_year']}          {ai:>8}  {y['eu_cn_works']:>5}  {y['eu_cn_works_with_pla']:>3}  "
                   f"{y['eu_cn_works_defence_linked']:>{len(defence)}}  {_pct(y['share_of_ai_works_with_cn']):>13}  {bar}")
    out += ["", "Top funders (Europe–China works naming them)"]
    out += [f"  {f['eu_cn_works']:>4}  {f['funder_name']}" for f in p["top_funders"]] or ["  none disclosed"]
    out += ["", f"Dual-use works ({len(dual_use)})"]
    for w in dual_use:
        out.append(_wrap(f"{w['publication_year']} {w['title']} (doi {w['doi'] or 'none'}; {', '.join(w['dual_use_areas'])}; "
                         f"partner risk level: {_level(w['risk_level'])})", 2))
    if not dual_use:
        out.append("  none")
    out += ["", "All works: select * from marts.fct_institution_eu_cn_works where institution_id = "
                f"'{institution_id}';"]
    return "\n".join(out)


def render_chinese(con, institution_id: str) -> str:
    """The reverse view of a Chinese institution: its European partners on Europe–China AI works, most joint works
    first; for a risk-list entity, also those of its units (agg_risk_entity_partners, query 15)."""
    c = rows_of(con, "select * from marts.dim_institutions where institution_id = ?", [institution_id])[0]
    partners = rows_of(con, "select * from marts.institution_partners where partner_institution_id = ? "
                          "order by eu_cn_works desc, institution_name, institution_id", [institution_id])
    entities = partners[0]["partner_risk_entities"] if partners else []
    out = [
        f"{c['institution_name']} ({c['country_code']}) — ROR {c['ror_id'] or 'none'}, OpenAlex {institution_id}",
        f"Data: {c['dataset_label']}",
        f"Definitions: {c['definition_set']} (Europe = {c['europe_definition']}; see docs/definitions.md)",
        "",
        "A Chinese institution: its European partners on Europe–China AI works (the reverse view)",
        f"  {wording.count(c['eu_cn_works'], 'Europe–China AI work')}; risk level: {_level(c['risk_level'])}",
        *(_tags(entities) if entities else [_wrap(f"tags: {c['risk_reasons_text']}", 6)] if c["risk_reasons_text"]
          else []),
        "",
        f"European partners ({len(partners)}; most joint works first)",
    ]
    for r in partners:
        out.append(f"  {r['institution_name']} ({r['country_code']}) [{r['institution_id']}, ROR "
                   f"{r['institution_ror'] or 'none'}] — {wording.count(r['eu_cn_works'], 'work')}, "
                   f"{wording.period(r['first_year'], r['last_year'])}")
    if not partners:
        out.append("  none directly: its units' are below")
    if c["ror_id"]:
        units = rows_of(con, "select * from marts.agg_risk_entity_partners where entity_ror = ? "
                           "order by eu_cn_works desc, institution_name, institution_id", [c["ror_id"]])
        # Those reached through a unit of the entity (a lab, a ROR child): the others are the list above.
        through_units = [u for u in units if any(v["partner_institution_id"] != institution_id for v in u["via_partners"])]
        if through_units:
            # (An institution reached both ways counts its works once, for the entity.)
            out += ["", f"Through its units too ({len(through_units)} of the {len(units)} European partners of the "
                        f"risk-list entity {units[0]['entity_name']}; most joint works first)"]
            for u in through_units:
                via = "; ".join(f"{v['partner_name']} (through {MATCH_PATHS.get(v['match_path'], v['match_path'])})"
                                for v in u["via_partners"])
                out.append(f"  {u['institution_name']} ({u['country_code']}) — {wording.count(u['eu_cn_works'], 'work')}, "
                           f"{wording.period(u['first_year'], u['last_year'])}")
                out.append(_wrap(f"via {via}", 6))
    for e in entities:
        if e["match_path"] != "own_ror" and e["matched_ror_id"]:
            out.append(_wrap(f"Tagged through {e['entity_name']}: its European partners with all its units, "
                             f"make profile INSTITUTION={e['matched_ror_id']}", 2))
    out += ["", "All its joint works by European institution: select * from marts.institution_partners where "
                f"partner_institution_id = '{institution_id}';"]
    return "\n".join(out)


def _list_matches(found: list[dict], query: str, kind: str) -> None:
    print(f"{len(found)} {kind} institutions on Europe–China AI works match {query.strip()!r}; give one of these ids:")
    for r in found:
        level = f"  {_level(r['risk_level'])}" if "risk_level" in r else ""
        print(f"  {r['institution_id']:<13} ROR {r['institution_ror'] or 'none':<10} {r['country_code']}  "
              f"{wording.count(r['eu_cn_works'], 'work'):>10}  {r['institution_name']}{level}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make profile INSTITUTION=…",
        description="Print one European institution's Europe–China AI profile from the published warehouse, or a "
                    "Chinese institution's European partners.")
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
                chinese = find_chinese(con, args.institution)
                if len(chinese) > 1:
                    _list_matches(chinese, args.institution, "Chinese")
                elif chinese:
                    print(render_chinese(con, chinese[0]["institution_id"]))
                else:
                    raise ProfileError(explain_unknown(con, args.institution))
                return 0
            if len(found) > 1:
                _list_matches(found, args.institution, "European")
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
