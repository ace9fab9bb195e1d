"""risk_entity_names, and the name rules of the affiliation-text matcher (collisions.py and places.py build the
other name seeds, risk_name_collisions and china_places).

The matcher finds a listed entity named in a raw affiliation string that OpenAlex resolved to no listed institution;
precision comes first, so every rule below drops a name rather than risk naming the wrong body. The rules, stated
once:

- **Normalised text** (`normalise_name`; the same in DuckDB SQL: `normalise_sql`): accents dropped, lower case, every
  run of characters that is neither a latin letter, a digit nor a CJK ideograph becomes one space, trimmed, and no
  space is left between two CJK ideographs. "People's Liberation Army" -> "people s liberation army".
- **Script**: `cjk` when the normalised name holds a CJK ideograph, else `latin`.
- **Acronym** (name_kind `acronym`, never matched alone): a latin name of one token of at most 6 letters/digits
  (NUDT, BUAA, Beida, 301), a latin name written without a lower-case letter in at most 3 tokens (PLAGHHN, PLA UST,
  A/SEU), anything ROR files under `acronyms`, and a CJK name of at most 3 characters (北大, 四医大, 九院).
- **Generic** (dropped): a latin name whose every token is in GENERIC_WORDS (institution types, descriptors such as
  national/general/medical/research, ordinals, compass directions, stop words, bare numbers), e.g. "University",
  "People's Hospital", "Southwest Hospital", "Ninth Academy", "901 Institute"; a name of curated/generic_names.csv.
  Military words (army, navy, air force, military, PLA) are not generic: "Army Medical University" names one body.
- **Collision** (dropped): a name whose normalised form is in risk_name_collisions, i.e. another body carries it.
- **Ambiguous** (`is_ambiguous`, the matcher skips it): a normalised name kept for two or more entities.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from .files import curated

# ---------------------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------------------

# CJK ideographs: 〇 (U+3007, as in 第九〇〇医院), Extension A, the unified block and the compatibility block.
CJK = "\u3007\u3400-\u9fff\uf900-\ufaff"
NOT_KEPT = re.compile(f"[^a-z0-9{CJK}]+")
SPACE_IN_CJK = re.compile(f"(?<=[{CJK}]) (?=[{CJK}])")
HAS_CJK = re.compile(f"[{CJK}]")
# The same rule in DuckDB SQL (RE2 has no look-around, so the CJK gap is closed twice: one pass closes every other
# gap). The dbt test assert_risk_names_normalise_as_in_sql holds it and proves every seed row follows it.
CJK_SQL = r"\x{3007}\x{3400}-\x{9fff}\x{f900}-\x{faff}"
CLOSE_CJK_GAP_SQL = f"'([{CJK_SQL}]) ([{CJK_SQL}])', '\\1\\2', 'g'"


def normalise_sql(expression: str) -> str:
    """normalise_name as a DuckDB SQL expression over `expression`."""
    spaced = f"trim(regexp_replace(lower(strip_accents({expression})), '[^a-z0-9{CJK_SQL}]+', ' ', 'g'))"
    return f"regexp_replace(regexp_replace({spaced}, {CLOSE_CJK_GAP_SQL}), {CLOSE_CJK_GAP_SQL})"


def normalise_name(text: str) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn").lower()
    return SPACE_IN_CJK.sub("", NOT_KEPT.sub(" ", text).strip())


def script_of(normalised: str) -> str:
    return "cjk" if HAS_CJK.search(normalised) else "latin"


def is_acronym(name: str, normalised: str) -> bool:
    if script_of(normalised) == "cjk":
        return len(normalised.replace(" ", "")) <= 3
    tokens = normalised.split()
    no_lower_case = not any(ch.islower() for ch in name) and any(ch.isalpha() for ch in name)
    return (len(tokens) == 1 and len(tokens[0]) <= 6) or (no_lower_case and len(tokens) <= 3)


GENERIC_WORDS = set("""
university universities college academy institute institution school hospital hospitals center centre laboratory
laboratories lab labs clinic department faculty division branch campus station office bureau agency administration
ministry commission council society association foundation corporation company group limited ltd co inc unit team
programme program library libraries system base headquarters
national state key general central research science sciences scientific technology technologies technical
technological engineering medical medicine health affiliated people peoples s public municipal provincial city county
international higher advanced applied training teaching graduate postgraduate joint new
first second third fourth fifth sixth seventh eighth ninth tenth no
north south east west northeast northwest southeast southwest northeastern northwestern southeastern southwestern
northern southern eastern western
the of and for in at on a an
""".split())
# Names too general to name one body though not all their words are generic: Chinese for "police university",
# "aviation industry", "general hospital", and the short names "China Electronics" / 中国电子 / 中国航天 (of CEC and
# CASC) that begin the names of many other bodies (中国电子技术标准化研究院, 中国航天员科研训练中心).


@cache
def generic_names() -> frozenset[str]:
    """Names too general to name one body though not all their words are generic (curated/generic_names.csv)."""
    return frozenset(r["name_normalised"] for r in curated("generic_names"))


def is_generic(normalised: str) -> bool:
    if normalised in generic_names():
        return True
    if script_of(normalised) == "cjk":
        return False
    return all(token in GENERIC_WORDS or token.isdigit() for token in normalised.split())


# ---------------------------------------------------------------------------------------------------------
# risk_entity_names
# ---------------------------------------------------------------------------------------------------------

NAME_COLUMNS = ["entity_id", "unit_ror_id", "name", "name_normalised", "script", "name_kind", "token_count",
                "is_ambiguous", "source"]
KIND_ORDER = ["official", "label_zh", "former", "alias", "acronym"]  # a name met twice keeps the first kind
PLA_WORDS = re.compile(r"^Chinese (?=(PLA|People['’]s Liberation Army) \S)")
PLURAL_S = re.compile(r"(?<=\w)\(s\)")
TRAILING_PARENS = re.compile(r"^(?P<base>.+?)\s*[(（](?P<inner>[^()（）]+)[)）]$")
AKA = re.compile(r"^a\.?k\.?a\.?,?\s*", re.IGNORECASE)


def variants(name: str) -> list[tuple[str, str]]:
    """The name as written, plus the forms a writer also uses: without a trailing parenthesis (its a.k.a. content as
    a name of its own), both numbers of "Science(s)", and without the "Chinese" before PLA / People's Liberation
    Army ("Chinese PLA General Hospital" -> "PLA General Hospital"). (form, derivation) pairs; derivation '' for
    the name as written."""
    forms = [(name, "")]
    if PLURAL_S.search(name):
        forms += [(PLURAL_S.sub("", name), "singular"), (PLURAL_S.sub("s", name), "plural")]
    for form, _ in list(forms):
        match = TRAILING_PARENS.match(form)
        if match:
            forms.append((match["base"], "without_parenthesis"))
            if AKA.match(match["inner"]):
                forms.append((AKA.sub("", match["inner"]), "aka_in_parenthesis"))
    for form, _ in list(forms):
        if PLA_WORDS.match(form):
            forms.append((PLA_WORDS.sub("", form), "without_leading_chinese"))
    return forms


def split(cell: str) -> list[str]:
    return [part.strip() for part in (cell or "").split("|") if part.strip()]


def ror_names(record: dict, kind_latin: str, prefix: str) -> list[tuple[str, str, str]]:
    """(name, kind, source) for every name of a ROR record; `kind_latin` for its name and aliases (official, or
    former for a record the entity replaced)."""
    former = kind_latin == "former"
    out = [(record.get("name", ""), kind_latin, f"{prefix}.name")]
    for field in ("name_zh", "other_labels"):
        out += [(n, "former" if former else label_kind(n), f"{prefix}.{field}") for n in split(record.get(field))]
    out += [(n, "former" if former else "alias", f"{prefix}.aliases") for n in split(record.get("aliases"))]
    out += [(n, "acronym", f"{prefix}.acronyms") for n in split(record.get("acronyms"))]
    return out


def label_kind(name: str) -> str:
    """A label in Chinese script is label_zh; a romanised or other-language label is an alias."""
    return "label_zh" if HAS_CJK.search(name) else "alias"


# Names as papers print them that no list or ROR record gives, each read in a real affiliation string. Being longer

def raw_names(entities: list[dict], units: list[dict], ror_records: dict[str, dict]) -> list[dict]:
    """Every (entity, unit, name, kind, source) the sources give, before the rules."""
    rows = []

    def add(entity_id: str, unit_ror_id: str, names: list[tuple[str, str, str]]) -> None:
        for name, kind, source in names:
            if name:
                rows.append({"entity_id": entity_id, "unit_ror_id": unit_ror_id, "name": name, "kind": kind,
                             "source": source})

    for e in entities:
        names = [(e["name_en"], "official", "risk_entities.name_en")]
        names += [(n, label_kind(n), "risk_entities.name_zh") for n in split(e["name_zh"])]
        names += [(n, label_kind(n), "risk_entities.aliases") for n in split(e["aliases"])]
        names += [(e["aspi_name_en"], "alias", "risk_entities.aspi_name_en")]
        names += [(n, label_kind(n), "risk_entities.aspi_name_zh") for n in split(e["aspi_name_zh"])]
        if e["ror_id"] in ror_records:
            names += ror_names(ror_records[e["ror_id"]], "official", "ror")
        add(e["entity_id"], "", names)
    for u in units:
        kind = "former" if u["unit_link"] == "predecessor" else "official"
        names = [(u["unit_name"], kind, "risk_entity_units.unit_name")]
        if u["unit_ror_id"] in ror_records:
            names += ror_names(ror_records[u["unit_ror_id"]], kind, "ror_unit")
        add(u["parent_entity_id"], u["unit_ror_id"], names)
    # Names as papers print them that no list or ROR record gives (curated/name_aliases.csv).
    for alias in curated("name_aliases"):
        add(alias["entity_id"], "", [(alias["name"], "alias", alias["source"])])
    return rows


def parent_marks(entities: list[dict], ror_records: dict[str, dict]) -> dict[str, set[str]]:
    """Per entity, the words that tie a unit's name to it: its acronyms and the first word of its English name
    when that is not generic (CAEP, THU, Tsinghua, Fudan)."""
    marks: dict[str, set[str]] = {}
    for e in entities:
        first = normalise_name(e["name_en"]).split()[:1]
        acronyms = split(e["aliases"]) + split(ror_records.get(e["ror_id"], {}).get("acronyms"))
        marks[e["entity_id"]] = {w for w in first if w not in GENERIC_WORDS} | {
            normalise_name(a) for a in acronyms if is_acronym(a, normalise_name(a))}
    return marks


def unit_name_is_placed(normalised: str, marks: set[str], places: set[str]) -> bool:
    """A unit's latin name is kept only when it says whose or where it is: it holds "key lab(oratory)", a mainland
    place name, or its parent's acronym or first word ("Laser Fusion Research Center, CAEP" is kept, "Institute of
    Fluid Physics" and "Center for Life Sciences" are not)."""
    if re.search(r"\bkey lab(oratory|oratories)?\b", normalised):
        return True
    return any(contains_name(normalised, word) for word in marks | places)



def contains_name(haystack: str, needle: str) -> bool:
    """`needle` is in `haystack` as whole latin tokens, or as a run of CJK text."""
    if script_of(needle) == "cjk":
        return needle in haystack
    return f" {needle} " in f" {haystack} "


def build_entity_names(entities: list[dict], units: list[dict], ror_records: dict[str, dict],
                       collision_names: set[str], places: set[str]) -> tuple[list[dict], dict[str, list[str]]]:
    """risk_entity_names, and what the rules dropped ({'generic': [...], 'collision': [...], 'unplaced_unit':
    [...]}) for the report. `places`: the normalised latin names that place a string in mainland China."""
    dropped: dict[str, list[str]] = {"generic": [], "collision": [], "unplaced_unit": []}
    marks = parent_marks(entities, ror_records)
    kept: dict[tuple[str, str], dict] = {}
    for raw in raw_names(entities, units, ror_records):
        for form, derivation in variants(raw["name"]):
            normalised = normalise_name(form)
            if not normalised:
                continue
            if is_generic(normalised):
                dropped["generic"].append(form)
                continue
            if normalised in collision_names:
                dropped["collision"].append(form)
                continue
            kind = "acronym" if raw["kind"] == "acronym" or is_acronym(form, normalised) else raw["kind"]
            if (raw["unit_ror_id"] and kind != "acronym" and script_of(normalised) == "latin"
                    and not unit_name_is_placed(normalised, marks[raw["entity_id"]], places)):
                dropped["unplaced_unit"].append(form)
                continue
            source = f"{raw['source']} ({derivation})" if derivation else raw["source"]
            row = {"entity_id": raw["entity_id"], "unit_ror_id": raw["unit_ror_id"], "name": form,
                   "name_normalised": normalised, "script": script_of(normalised), "name_kind": kind,
                   "token_count": len(normalised.split()) if script_of(normalised) == "latin" else 0,
                   "sources": [source]}
            key = (raw["entity_id"], normalised)
            if key not in kept:
                kept[key] = row
                continue
            held = kept[key]
            held["sources"].append(source)
            # The entity's own name beats a unit's; then the stronger kind; then the name as first written.
            if (row["unit_ror_id"] == "", -KIND_ORDER.index(kind)) > (held["unit_ror_id"] == "",
                                                                      -KIND_ORDER.index(held["name_kind"])):
                row["sources"] = held["sources"]
                kept[key] = row
    entities_per_name: dict[str, set[str]] = {}
    for entity_id, normalised in kept:
        entities_per_name.setdefault(normalised, set()).add(entity_id)
    rows = []
    for row in kept.values():
        row["is_ambiguous"] = len(entities_per_name[row["name_normalised"]]) > 1
        row["source"] = "|".join(dict.fromkeys(row.pop("sources")))
        rows.append(row)
    rows.sort(key=lambda r: (r["entity_id"], r["unit_ror_id"], KIND_ORDER.index(r["name_kind"]), r["name_normalised"]))
    return rows, dropped

