"""Name seeds for the affiliation-text matcher: risk_entity_names, risk_name_collisions and china_places.

Used by build_seeds.py (standard library only). The matcher finds a listed entity named in a raw affiliation string
that OpenAlex resolved to no listed institution; precision comes first, so every rule below drops a name rather
than risk naming the wrong body. The rules, stated once:

- **Normalised text** (`normalise_name`; the same in DuckDB SQL: `normalise_sql`): accents dropped, lower case, every
  run of characters that is neither a latin letter, a digit nor a CJK ideograph becomes one space, trimmed, and no
  space is left between two CJK ideographs. "People's Liberation Army" -> "people s liberation army".
- **Script**: `cjk` when the normalised name holds a CJK ideograph, else `latin`.
- **Acronym** (name_kind `acronym`, never matched alone): a latin name of one token of at most 6 letters/digits
  (NUDT, BUAA, Beida, 301), a latin name written without a lower-case letter in at most 3 tokens (PLAGHHN, PLA UST,
  A/SEU), anything ROR files under `acronyms`, and a CJK name of at most 3 characters (北大, 四医大, 九院).
- **Generic** (dropped): a latin name whose every token is in GENERIC_WORDS (institution types, descriptors such as
  national/general/medical/research, ordinals, compass directions, stop words, bare numbers), e.g. "University",
  "People's Hospital", "Southwest Hospital", "Ninth Academy", "901 Institute"; a name in GENERIC_NAMES. Military
  words (army, navy, air force, military, PLA) are not generic: "Army Medical University" names one body.
- **Collision** (dropped): a name whose normalised form is in risk_name_collisions, i.e. another body carries it.
- **Ambiguous** (`is_ambiguous`, the matcher skips it): a normalised name kept for two or more entities.
"""

from __future__ import annotations

import re
import unicodedata

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
GENERIC_NAMES = {"警察大学", "航空工业", "总医院", "医学中心", "研究院", "研究所", "china electronics", "中国电子", "中国航天"}


def is_generic(normalised: str) -> bool:
    if normalised in GENERIC_NAMES:
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
# than the name they hold ("PLA General Hospital"), they win over it in a string.
CURATED_ALIASES = [
    ("general_hospital_of_central_theater_command", "Central Theater, People's Liberation Army General Hospital",
     "curated: the form printed in a raw affiliation string of OpenAlex work W3004318991"),
    ("general_hospital_of_central_theater_command", "Central Theater PLA General Hospital",
     "curated: the same form with PLA for People's Liberation Army"),
]


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
    for entity_id, name, source in CURATED_ALIASES:
        add(entity_id, "", [(name, "alias", source)])
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


# ---------------------------------------------------------------------------------------------------------
# risk_name_collisions
# ---------------------------------------------------------------------------------------------------------

COLLISION_COLUMNS = ["name_normalised", "name", "what_it_names", "country_code", "why", "source", "resembles_entity_ids",
                     "found_by"]
# Names that look like a listed entity's name or alias but name another body, from the stored sources and common
# knowledge: (name, what it names, country, why, source). Sources are ROR records where the stored data holds the id
# (the ROR subset, the OpenAlex samples, the compiled list's notes), else the body's encyclopaedia page.
CURATED_COLLISIONS = [
    ("CSIC", "Consejo Superior de Investigaciones Científicas (Spanish National Research Council)", "ES",
     "Spain's national research council, common in European affiliations; the ASPI list gives CSIC as an alias of "
     "China Shipbuilding Industry Corporation.", "https://en.wikipedia.org/wiki/Spanish_National_Research_Council"),
    ("Northeastern University", "Northeastern University, Boston", "US",
     "Same English name as 东北大学 (Shenyang) on the ASPI list; Boston's is the one most European co-authors mean.",
     "https://ror.org/04t5xt781"),
    ("NEU", "Northeastern University, Boston", "US", "Acronym of both Northeastern Universities (Boston, Shenyang).",
     "https://ror.org/04t5xt781"),
    ("USC", "University of Southern California", "US",
     "Acronym of the University of South China on the ASPI list and of the University of Southern California.",
     "https://ror.org/03taz7m60"),
    ("USC", "Universidade de Santiago de Compostela", "ES",
     "Acronym of the University of South China on the ASPI list and of Santiago de Compostela's university, a "
     "European partner.", "https://en.wikipedia.org/wiki/University_of_Santiago_de_Compostela"),
    ("SDU", "Syddansk Universitet (University of Southern Denmark)", "DK",
     "Acronym of Shandong University on the ASPI list and of the University of Southern Denmark.",
     "https://ror.org/03yrrjy16"),
    ("China University of Mining and Technology, Beijing", "China University of Mining and Technology - Beijing "
     "(003ncxf91)", "CN", "Holds China University of Mining and Technology (Xuzhou, on the ASPI list) but names the "
     "separate Beijing university; OpenAlex resolves some of its strings to the Xuzhou record.", "https://ror.org/003ncxf91"),
    ("Walter Reed Army Institute of Research", "Walter Reed Army Institute of Research", "US",
     "A US Army research institute: army and research words do not make a PLA body.", "https://ror.org/0145znz58"),
    ("Israel Defense Forces", "Israel Defense Forces (and its Medical Corps)", "IL",
     "A military outside China: defence words do not make a PLA body.", "https://ror.org/05w1yqq10"),
    ("Nigerian Defence Academy", "Nigerian Defence Academy", "NG",
     "A military academy outside China, named like the PLA academies.", "https://ror.org/02nt7a109"),
    ("National Defense Medical Center", "National Defense Medical Center, Taipei", "TW",
     "Taiwan's military medical school, named like the PLA's medical bodies and the PLA National Defense "
     "University; Taiwan is never mainland China.", "https://ror.org/02bn97g32"),
    ("Tri-Service General Hospital", "Tri-Service General Hospital, Taipei", "TW",
     "Taiwan's military general hospital, named like the PLA's general hospitals.", "https://ror.org/007h4qe29"),
    ("Naval Academy", "United States Naval Academy, Annapolis", "US",
     "The ASPI list gives Naval Academy as an alias of the PLA Naval Research Academy; navies everywhere have one.",
     "https://en.wikipedia.org/wiki/United_States_Naval_Academy"),
    ("Naval Academy", "Republic of China Naval Academy, Kaohsiung", "TW",
     "The ASPI list gives Naval Academy as an alias of the PLA Naval Research Academy.", "https://ror.org/01megcb21"),
    ("National Defense University", "National Defense University, Washington DC", "US",
     "Same English name as the PLA National Defense University (the compiled list warns of it).",
     "https://ror.org/01nqk4x38"),
    ("Army Research Institute", "U.S. Army Research Institute for the Behavioral and Social Sciences", "US",
     "Same English name as the PLA Army Research Institute on the ASPI list.",
     "https://en.wikipedia.org/wiki/United_States_Army_Research_Institute_for_the_Behavioral_and_Social_Sciences"),
    ("Naval Medical Research Institute", "Naval Medical Research Institute, Bethesda (now the Naval Medical Research "
     "Command)", "US", "Same English name as a withdrawn PLA record (00jypw962, a unit of the Navy Medical "
     "University).", "https://ror.org/05f421b09"),
    ("Naval Medical Research Center", "Naval Medical Research Center, Bethesda (now the Naval Medical Research "
     "Command)", "US", "A US Navy medical research body, named like the PLA's naval medical bodies.",
     "https://ror.org/05f421b09"),
    ("First Military Medical University", "Southern Medical University, Guangzhou (its former name)", "CN",
     "Named like the PLA's military medical universities, but handed to Guangdong province in 2004: not PLA now.",
     "https://ror.org/01vjw4z39"),
    ("Northwestern Polytechnic University", "Northwestern Polytechnic University, Fremont, California", "US",
     "An alias of Northwestern Polytechnical University (Seven Sons) on the ASPI list, and a US university's name.",
     "https://en.wikipedia.org/wiki/Northwestern_Polytechnic_University"),
    ("Institute of International Politics and Economics", "Institute of International Politics and Economics, Belgrade",
     "RS", "Holds Institute of International Politics, an alias of the University of International Relations.",
     "https://en.wikipedia.org/wiki/Institute_of_International_Politics_and_Economics"),
    ("Institute of International Relations", "Institute of International Relations Prague", "CZ",
     "A ROR alias of the University of International Relations (Beijing), and the name of Prague's (and Kyiv's) "
     "institutes of international relations.", "https://en.wikipedia.org/wiki/Institute_of_International_Relations_Prague"),
    ("Soochow University", "Soochow University, Taipei (東吳大學)", "TW",
     "Same English name as 苏州大学 (Suzhou) on the ASPI list; Taiwan is never mainland China.",
     "https://en.wikipedia.org/wiki/Soochow_University_(Taiwan)"),
    ("National Sun Yat-sen University", "National Sun Yat-sen University, Kaohsiung", "TW",
     "Holds Sun Yat-sen University, the name of 中山大学 (Guangzhou) on the ASPI list.",
     "https://en.wikipedia.org/wiki/National_Sun_Yat-sen_University"),
    ("Luoyang University", "Luoyang University (洛阳大学), merged into Luoyang Institute of Science and Technology in "
     "2007", "CN", "The ASPI list gives it as an alias of the PLA Information Engineering University, but it is the "
     "name of a civilian university.", "https://zh.wikipedia.org/wiki/洛阳理工学院"),
    ("Central Military Commission Meteorological Bureau", "China Meteorological Administration (its name under the "
     "Central Military Commission, 1949-1953)", "CN",
     "A ROR alias of the civilian China Meteorological Administration that holds the name of the Central Military "
     "Commission.", "https://ror.org/00bx3rb98"),
    ("Sudan People's Liberation Army", "Sudan People's Liberation Army", "SS",
     "Holds People's Liberation Army: not the Chinese PLA.",
     "https://en.wikipedia.org/wiki/Sudan_People%27s_Liberation_Army"),
]


# ROR records that carry a listed name but are the listed body itself (ASPI names them as part of the entity; ROR
# does not link them to it), so they are not collisions.
SAME_BODY = {
    "05r2q4835": "Chengdu Fine Optical Engineering Research Center: ASPI lists it under CAEP.",
    "03sxpbt26": "Institute of Applied Physics and Computational Mathematics (北京应用物理与计算数学研究所): ASPI lists it "
                 "under CAEP.",
}
COMPASS = {"north", "south", "east", "west", "northern", "southern", "eastern", "western", "northeast", "northwest",
           "southeast", "southwest", "northeastern", "northwestern", "southeastern", "southwestern", "central"}


def listed_rors(entities: list[dict], units: list[dict]) -> set[str]:
    return {e["ror_id"] for e in entities if e["ror_id"]} | {u["unit_ror_id"] for u in units}


def names_another_body(longer: str, listed: str) -> bool:
    """A longer name around a listed name is another body's when it extends the name ("Beijing University of
    Technology" around "Beijing University") or sets a direction or "National" before it ("West Anhui University",
    "National Sun Yat-sen University"); a hospital, campus or lab "of" the listed body ("West China Hospital of
    Sichuan University") is not."""
    before, _, after = f" {longer} ".partition(f" {listed} ")
    return after.split()[:1] in (["of"], ["for"]) or before.split()[-1:] in [[w] for w in COMPASS | {"national"}]


def contains_name(haystack: str, needle: str) -> bool:
    """`needle` is in `haystack` as whole latin tokens, or as a run of CJK text."""
    if script_of(needle) == "cjk":
        return needle in haystack
    return f" {needle} " in f" {haystack} "


def ror_collisions(candidates: dict[str, set[str]], entities: list[dict], units: list[dict],
                   ror_records: dict[str, dict], relationships: list[dict]) -> list[dict]:
    """Names of ROR records that are neither a risk entity, one of its units, nor related to one in ROR, and that
    equal a listed name, name another body around a listed latin name of two or more tokens (see
    names_another_body), or, outside the mainland, hold a listed Chinese name. `candidates`: normalised listed name
    -> entity ids."""
    listed = listed_rors(entities, units)
    own_rors = {e["entity_id"]: {e["ror_id"]} for e in entities}
    edges: dict[str, set[str]] = {}
    for r in relationships:
        edges.setdefault(r["ror_id"], set()).add(r["related_ror_id"])
        edges.setdefault(r["related_ror_id"], set()).add(r["ror_id"])
    multi_token = {n for n in candidates if script_of(n) == "latin" and len(n.split()) >= 2}
    long_cjk = {n for n in candidates if script_of(n) == "cjk" and not is_acronym(n, n)}
    rows = []
    for ror_id, record in sorted(ror_records.items()):
        if ror_id in listed or ror_id in SAME_BODY or record["status"] == "withdrawn":
            continue

        def unrelated(entity_ids: set[str], ror_id: str = ror_id) -> list[str]:
            """The entities the record has no ROR edge to (a hospital ROR relates to a university is the
            university's)."""
            return sorted(e for e in entity_ids if not edges.get(ror_id, set()) & own_rors[e])

        for name, _, field in ror_names(record, "official", "ror"):
            normalised = normalise_name(name)
            if not normalised:
                continue
            if normalised in candidates:
                held = unrelated(candidates[normalised])
                why = f"The ROR record's {field.split('.')[-1]} equals a name of {', '.join(held)}."
            else:
                inner = sorted(n for n in multi_token if script_of(normalised) == "latin"
                               and contains_name(normalised, n) and names_another_body(normalised, n)
                               and unrelated(candidates[n]))
                held_cjk = sorted(n for n in long_cjk if n in normalised and unrelated(candidates[n]))
                if record["country_code"] != "CN":
                    inner += held_cjk
                    # 國立東華大學 (Hualien) is often written 東華大學, a ROR alias of Donghua University (Shanghai):
                    # in Hong Kong, Macao and Taiwan the shorter name is a collision of its own.
                    rows += [{"name_normalised": n, "name": n, "what_it_names": f"{record['name']} ({ror_id})",
                              "country_code": record["country_code"],
                              "why": f"Held in the name {name} of a body outside the mainland, which writes it in the "
                                     f"same characters; also a name of {', '.join(unrelated(candidates[n]))}.",
                              "source": f"https://ror.org/{ror_id}", "found_by": "ror_subset_check"} for n in held_cjk]
                held = unrelated({e for n in inner for e in candidates[n]})
                why = f"Holds {', '.join(repr(n) for n in inner)}, a name of {', '.join(held)}, but names another body."
            if not held:
                continue
            rows.append({"name_normalised": normalised, "name": name,
                         "what_it_names": f"{record['name']} ({ror_id})", "country_code": record["country_code"],
                         "why": why, "source": f"https://ror.org/{ror_id}", "found_by": "ror_subset_check"})
    return rows


def build_collisions(entities: list[dict], units: list[dict], ror_records: dict[str, dict],
                     relationships: list[dict]) -> list[dict]:
    """risk_name_collisions: the curated look-alikes, then those the ROR subset shows. One row per (name, country);
    `resembles_entity_ids` lists the entities with a name equal to it or held in it."""
    candidates: dict[str, set[str]] = {}
    for raw in raw_names(entities, units, ror_records):
        for form, _ in variants(raw["name"]):
            normalised = normalise_name(form)
            if normalised and not is_generic(normalised):
                candidates.setdefault(normalised, set()).add(raw["entity_id"])
    rows = [{"name_normalised": normalise_name(name), "name": name, "what_it_names": what, "country_code": country,
             "why": why, "source": source, "found_by": "curated"}
            for name, what, country, why, source in CURATED_COLLISIONS]
    rows += ror_collisions(candidates, entities, units, ror_records, relationships)
    kept: dict[tuple[str, str], dict] = {}
    for row in rows:
        kept.setdefault((row["name_normalised"], row["country_code"]), row)
    for row in kept.values():
        row["resembles_entity_ids"] = "|".join(sorted(
            {e for n, ids in candidates.items() if n == row["name_normalised"]
             or (not is_acronym(n, n) and contains_name(row["name_normalised"], n)) for e in ids}))
    return sorted(kept.values(), key=lambda r: (r["name_normalised"], r["country_code"]))


# ---------------------------------------------------------------------------------------------------------
# china_places
# ---------------------------------------------------------------------------------------------------------

PLACE_COLUMNS = ["name_normalised", "name", "script", "kind", "region_code", "source", "note"]
CHINA_COUNTRY_NAMES = ["China", "P.R. China", "PR China", "P.R.C.", "PRC", "People's Republic of China",
                       "Peoples Republic of China", "Peoples R China", "Mainland China", "中国", "中华人民共和国"]
# Provinces, autonomous regions and municipalities: (English names, Chinese full name, Chinese short name).
PROVINCES = [
    (["Anhui"], "安徽省", "安徽"), (["Fujian"], "福建省", "福建"), (["Gansu"], "甘肃省", "甘肃"),
    (["Guangdong"], "广东省", "广东"), (["Guizhou"], "贵州省", "贵州"), (["Hainan"], "海南省", "海南"),
    (["Hebei"], "河北省", "河北"), (["Heilongjiang"], "黑龙江省", "黑龙江"), (["Henan"], "河南省", "河南"),
    (["Hubei"], "湖北省", "湖北"), (["Hunan"], "湖南省", "湖南"), (["Jiangsu"], "江苏省", "江苏"),
    (["Jiangxi"], "江西省", "江西"), (["Jilin"], "吉林省", "吉林"), (["Liaoning"], "辽宁省", "辽宁"),
    (["Qinghai"], "青海省", "青海"), (["Shaanxi"], "陕西省", "陕西"), (["Shandong"], "山东省", "山东"),
    (["Shanxi"], "山西省", "山西"), (["Sichuan"], "四川省", "四川"), (["Yunnan"], "云南省", "云南"),
    (["Zhejiang"], "浙江省", "浙江"),
    (["Guangxi"], "广西壮族自治区", "广西"), (["Inner Mongolia", "Nei Mongol"], "内蒙古自治区", "内蒙古"),
    (["Ningxia"], "宁夏回族自治区", "宁夏"), (["Xinjiang"], "新疆维吾尔自治区", "新疆"),
    (["Tibet", "Xizang"], "西藏自治区", "西藏"),
    (["Beijing", "Peking"], "北京市", "北京"), (["Chongqing"], "重庆市", "重庆"), (["Shanghai"], "上海市", "上海"),
    (["Tianjin"], "天津市", "天津"),
]
# Names that take a string out of mainland China (region_code HK, MO, TW), besides the cities ROR gives them.
NOT_MAINLAND = [
    ("Hong Kong", "HK"), ("Hongkong", "HK"), ("Kowloon", "HK"), ("香港", "HK"),
    ("Macao", "MO"), ("Macau", "MO"), ("澳门", "MO"), ("澳門", "MO"),
    ("Taiwan", "TW"), ("台湾", "TW"), ("臺灣", "TW"), ("台灣", "TW"), ("台北", "TW"), ("臺北", "TW"),
]
CITY_SUFFIX = re.compile(r"\s+(Shi|City|Qu|District)$")
# ROR city names that are not kept as places, and why. Short apostrophe names (Ji'an -> "ji an") read like given
# names; the others are common words or also name a place outside mainland China.
CITY_EXCLUDED = {
    "Amoy": "old name of Xiamen, also a street in Singapore and a brand; Xiamen is kept",
    "Dali": "also a town in Cyprus, and Dalí after accents are dropped",
    "Aksu": "also towns in Kazakhstan and Turkey (Antalya)",
    "Anyang": "also a city in South Korea",
    "Nanyang": "Nanyang Technological University is in Singapore",
    "Mang": "too short (Mangshi)",
    "Yulinshi": "a run-together form; Yulin is kept",
    "Ji’an": "'ji an' reads like a given name", "Lu'an": "'lu an' reads like a given name",
    "Ya'an": "'ya an' reads like a given name", "Tai’an": "'tai an' reads like a given name",
    "Yu’ao": "'yu ao' reads like a given name", "Jiang’an": "'jiang an' reads like a given name",
    "Lin’an": "'lin an' reads like a given name",
    "Aberdeen": "a district of Hong Kong and a city in Scotland",
}
# Common spellings of a kept city that ROR does not use.
CITY_EXTRA = [("Xian", "Xi'an without its apostrophe"), ("Urumqi", "Ürümqi without its accent")]


def city_name(city: str) -> str:
    return CITY_SUFFIX.sub("", city.strip())


def build_places(ror_records: dict[str, dict]) -> list[dict]:
    """china_places: names that place an affiliation in mainland China (region_code CN: the country, its
    provinces, autonomous regions and municipalities, and the cities of the ROR subset's CN records), and the names
    that take it out (HK, MO, TW: those regions and the cities of their ROR records). A name that is a city both in
    and outside the mainland (Jincheng is in Shanxi and on Kinmen) is dropped from both."""
    rows: list[dict] = []

    def add(name: str, kind: str, region: str, source: str, note: str = "") -> None:
        rows.append({"name_normalised": normalise_name(name), "name": name, "kind": kind, "region_code": region,
                     "source": source, "note": note})

    for name in CHINA_COUNTRY_NAMES:
        add(name, "country", "CN", "curated")
    for english, chinese, short in PROVINCES:
        for name in [*english, chinese, short]:
            add(name, "province", "CN", "curated", "municipality" if chinese.endswith("市") else "")
    for name, region in NOT_MAINLAND:
        add(name, "city" if name in {"Kowloon", "台北", "臺北"} else "country", region, "curated")
    cities: dict[str, set[str]] = {}
    for record in ror_records.values():
        city = city_name(record["city"])
        if city and record["country_code"] in {"CN", "HK", "MO", "TW"}:
            cities.setdefault(city, set()).add(record["country_code"])
    for city, regions in sorted(cities.items()):
        if city in CITY_EXCLUDED or len(regions) > 1:
            continue
        add(city, "city", regions.pop(), "ror_cn_hk_mo_tw_subset.city")
    for name, note in CITY_EXTRA:
        add(name, "city", "CN", "curated", note)
    kept: dict[str, dict] = {}
    for row in rows:  # the first row of a name wins: country, then province, then city
        kept.setdefault(row["name_normalised"], row)
    for row in kept.values():
        row["script"] = script_of(row["name_normalised"])
    return sorted(kept.values(), key=lambda r: (r["region_code"], ["country", "province", "city"].index(r["kind"]),
                                                r["name_normalised"]))


def build_name_seeds(entities: list[dict], units: list[dict], ror_records: dict[str, dict],
                     relationships: list[dict]) -> dict[str, list[dict]]:
    collisions = build_collisions(entities, units, ror_records, relationships)
    places = build_places(ror_records)
    mainland = {p["name_normalised"] for p in places if p["region_code"] == "CN" and p["script"] == "latin"}
    names, _ = build_entity_names(entities, units, ror_records, {c["name_normalised"] for c in collisions}, mainland)
    return {"risk_entity_names": names, "risk_name_collisions": collisions, "china_places": places}
