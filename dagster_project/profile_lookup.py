"""Finding the institution `make profile` was asked for in the published warehouse: a ROR id, an OpenAlex id or part
of a name, among the European profiles first, then the Chinese institutions on Europe–China works; the closest names
when none matches. Texts read from the warehouse are made printable (control characters as their escapes)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import duckdb

from .lib.published_reader import open_published
from .lib.ror_id import normalise_ror_id
from .report import wording

OPENALEX_ID = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:institutions/)?)?(i\d+)$", re.IGNORECASE)
PROFILE_MARTS = ("institution_profiles", "institution_partners", "agg_institution_years", "fct_institution_eu_cn_works",
                 "dim_institutions", "agg_risk_entity_partners")
CLOSE_NAME = 0.75  # how alike (difflib's ratio) a name, or a run of its words, must be to be suggested
SUGGESTIONS = 5
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ProfileError(Exception):
    """A message for the analyst; the command exits non-zero with it."""


def bare_ror(text: str) -> str | None:
    """The bare ROR id in a typed id (`02kkvpp62`, `https://ror.org/02kkvpp62`, a doubled prefix), else None: the
    project's one ROR-id rule, checksum included (dbt's ror_short_id macro, through lib/ror_id.py)."""
    return normalise_ror_id(text)


def short_openalex_id(text: str) -> str | None:
    match = OPENALEX_ID.match(text.strip().rstrip("/"))
    return match.group(1).upper() if match else None


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    return open_published(path, tuple(PROFILE_MARTS), "the institution profiles existed", ProfileError)


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


def rows_of(con, sql: str, params: list | None = None) -> list[dict]:
    """The rows as dicts, their texts printable."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [printable(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def _by_name(found: list[dict], text: str) -> list[dict]:
    """An exact name wins over longer names that contain it."""
    exact = [r for r in found if r["institution_name"].lower() == text.lower()]
    return exact if len(exact) == 1 else found


def find(con, query: str) -> list[dict]:
    """European profiles matching the query: by ROR id, by OpenAlex id, else by a case-insensitive part of the
    name."""
    base = "select institution_id, institution_ror, institution_name, country_code, eu_cn_works from marts.institution_profiles"
    if ror := bare_ror(query):
        return rows_of(con, f"{base} where institution_ror = ?", [ror])
    if openalex_id := short_openalex_id(query):
        return rows_of(con, f"{base} where institution_id = ?", [openalex_id])
    text = query.strip()
    if not text:
        raise ProfileError("Give an institution: a ROR id, an OpenAlex id or part of its name.")
    return _by_name(rows_of(con, f"{base} where institution_name ilike '%' || ? || '%' "
                               "order by eu_cn_works desc, institution_name", [text]), text)


# The Chinese institutions with a reverse view: on a Europe–China work, or a risk-list entity whose units are.
CHINESE = """select d.institution_id, d.ror_id as institution_ror, d.institution_name, d.country_code, d.eu_cn_works,
                    d.risk_level
             from marts.dim_institutions as d
             where d.is_chinese and (d.institution_id in (select partner_institution_id from marts.institution_partners)
                                     or d.ror_id in (select entity_ror from marts.agg_risk_entity_partners))"""


def find_chinese(con, query: str) -> list[dict]:
    """Chinese institutions matching the query (by ROR id, OpenAlex id or part of the name), for the reverse view."""
    if ror := bare_ror(query):
        return rows_of(con, f"{CHINESE} and d.ror_id = ?", [ror])
    if openalex_id := short_openalex_id(query):
        return rows_of(con, f"{CHINESE} and d.institution_id = ?", [openalex_id])
    text = query.strip()
    found = _by_name(rows_of(con, f"{CHINESE} and d.institution_name ilike '%' || ? || '%' "
                                "order by d.eu_cn_works desc, d.institution_name", [text]), text)
    return _one_entity(con, found)


def _one_entity(con, found: list[dict]) -> list[dict]:
    """A risk-list entity and units tagged through it ("Beihang": Beihang University and its lab) are one answer:
    the entity, whose reverse view lists its units' partners too; any other set of matches stays a list."""
    if len(found) < 2:
        return found
    matches = {r[0]: r[1] or [] for r in con.execute(
        "select institution_id, risk_matches from marts.dim_institutions where institution_id in (select unnest(?))",
        [[r["institution_id"] for r in found]]).fetchall()}
    heads = [(r, m["entity_id"]) for r in found for m in matches[r["institution_id"]] if m["match_path"] == "own_ror"]
    if len(heads) == 1 and all(any(m["entity_id"] == heads[0][1] for m in matches[r["institution_id"]]) for r in found):
        return [heads[0][0]]
    return found


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def closest_names(query: str, names: list[str]) -> list[str]:
    """The names most like the query, as a whole or in a run of as many words as it has (so "Beihnag" finds
    "Beihang University" and "Oxfrod" "University of Oxford"): a typo of one letter or two, best first."""
    typed = " ".join(_words(query))
    if not typed:
        return []
    span = len(typed.split())

    def likeness(name: str) -> tuple[float, float]:
        """How alike its closest run of words is, then the whole name (which settles a tie of runs)."""
        words = _words(name)
        whole = difflib.SequenceMatcher(None, typed, " ".join(words)).ratio()
        runs = [" ".join(words[i:i + span]) for i in range(max(len(words) - span + 1, 1))]
        return max(whole, *(difflib.SequenceMatcher(None, typed, run).ratio() for run in runs)), whole

    scored = sorted(((*likeness(n), n) for n in set(names)), key=lambda t: (-t[0], -t[1], t[2]))
    return [n for score, _, n in scored if score >= CLOSE_NAME][:SUGGESTIONS]


def explain_unknown(con, query: str) -> str:
    """Why nothing matched: the institution is known but on no Europe–China work, or neither European nor
    Chinese, or a parent organisation, or unknown (then the closest names)."""
    ror, openalex_id = bare_ror(query), short_openalex_id(query)
    if ror or openalex_id:
        known = rows_of(con, "select institution_id, institution_name, country_code, is_european, is_chinese "
                           "from marts.dim_institutions where ror_id = ? or institution_id = ?", [ror, openalex_id])
        if known:
            k = known[0]
            name = f"{k['institution_name']} ({k['institution_id']}, {k['country_code']})"
            if not (k["is_european"] or k["is_chinese"]):
                return (f"{name} is neither a European nor a Chinese institution; profiles cover European ones, and "
                        "the reverse view Chinese ones.")
            return f"{name} is on no Europe–China AI work of the study period directly, as an authorship's institution."
        parents = rows_of(con, "select parent_institution_id, parent_name, eu_cn_works, member_institutions"
                             " from marts.agg_institution_parent_profiles where parent_ror = ? or parent_institution_id = ?",
                        [ror, openalex_id])
        if parents:
            p = parents[0]
            return (f"{p['parent_name'] or p['parent_institution_id']} is on no work itself, but as a parent organisation "
                    f"(OpenAlex lineage) its {wording.count(p['member_institutions'], 'member institution')} have "
                    f"{wording.count(p['eu_cn_works'], 'Europe–China AI work')}: see "
                    "marts.agg_institution_parent_profiles and its member_institution_ids.")
        return f"No institution with {'ROR id ' + ror if ror else 'OpenAlex id ' + openalex_id} is in this warehouse."
    names = [r[0] for r in con.execute("select institution_name from marts.institution_profiles").fetchall()]
    names += [r["institution_name"] for r in rows_of(con, CHINESE)]
    close = closest_names(query, names)
    hint = ("Closest names: " + "; ".join(close) + ".") if close else \
        "No similar name among the European and Chinese institutions on Europe–China AI works."
    return f"No European or Chinese institution on a Europe–China AI work matches {query.strip()!r}. {hint}"
