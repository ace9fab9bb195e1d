"""OpenAlex `filter=` semantics for the stand-in: `a:x,b:y` is AND, `x|y` OR, `x+y` AND within one attribute,
`!x` NOT, `>n` / `<n` / `n-m` numeric ranges, `null`. Values are case-insensitive; ids may be long or short.
Only the attributes this project uses are known; any other is a 400, as on the real API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class FilterError(ValueError):
    pass


def norm(value) -> str:
    """`https://openalex.org/I123` -> `i123`, `https://openalex.org/subfields/1702` -> `1702`, `EN` -> `en`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip().lower().rstrip("/")
    return text.rsplit("/", 1)[-1] if "://" in text else text


def _ids(items, key: str = "id") -> set[str]:
    return {norm(i.get(key)) for i in items or [] if isinstance(i, dict) and i.get(key)}


def _insts(rec: dict) -> list[dict]:
    return [i for a in rec.get("authorships") or [] for i in (a.get("institutions") or []) if isinstance(i, dict)]


def _scalar(getter: Callable[[dict], object]) -> Callable[[dict], set[str] | None]:
    def extract(rec: dict):
        value = getter(rec)
        return None if value is None else {norm(value)}

    return extract


_WORKS: dict[str, Callable[[dict], set[str] | None]] = {
    "openalex_id": _scalar(lambda r: r.get("id")),
    "concepts.id": lambda r: _ids(r.get("concepts")),
    "topics.id": lambda r: _ids(r.get("topics")),
    "topics.subfield.id": lambda r: {norm(t["subfield"]["id"]) for t in r.get("topics") or [] if (t.get("subfield") or {}).get("id")},
    "primary_topic.subfield.id": _scalar(lambda r: ((r.get("primary_topic") or {}).get("subfield") or {}).get("id")),
    "authorships.institutions.country_code": lambda r: {norm(i["country_code"]) for i in _insts(r) if i.get("country_code")},
    "authorships.institutions.id": lambda r: _ids(_insts(r)),
    "authorships.institutions.lineage": lambda r: {norm(x) for i in _insts(r) for x in i.get("lineage") or []},
    "publication_year": _scalar(lambda r: r.get("publication_year")),
    "language": _scalar(lambda r: r.get("language")),
    "is_retracted": _scalar(lambda r: bool(r.get("is_retracted"))),
    "is_paratext": _scalar(lambda r: bool(r.get("is_paratext"))),
    "type": _scalar(lambda r: r.get("type")),
    "doi": _scalar(lambda r: r.get("doi")),
}
_WORK_ALIASES = {
    "ids.openalex": "openalex_id", "openalex": "openalex_id", "id": "openalex_id", "concept.id": "concepts.id",
    "institutions.country_code": "authorships.institutions.country_code",
    "institutions.id": "authorships.institutions.id", "topics.subfield": "topics.subfield.id",
}
_INSTITUTIONS = {
    "openalex_id": _scalar(lambda r: r.get("id")),
    "country_code": _scalar(lambda r: r.get("country_code")),
    "lineage": lambda r: {norm(x) for x in r.get("lineage") or []},
    "ror": _scalar(lambda r: r.get("ror")),
    "type": _scalar(lambda r: r.get("type")),
}
_FUNDERS = {
    "openalex_id": _scalar(lambda r: r.get("id")),
    "country_code": _scalar(lambda r: r.get("country_code")),
    "ror": _scalar(lambda r: (r.get("ids") or {}).get("ror")),
}
_ENTITY_ALIASES = {"ids.openalex": "openalex_id", "openalex": "openalex_id", "id": "openalex_id"}
FIELDS = {"works": (_WORKS, _WORK_ALIASES), "institutions": (_INSTITUTIONS, _ENTITY_ALIASES), "funders": (_FUNDERS, _ENTITY_ALIASES)}
NUMERIC = {"publication_year"}


def field_of(entity: str, key: str) -> str:
    fields, aliases = FIELDS[entity]
    key = aliases.get(key, key)
    if key not in fields:
        raise FilterError(f"{key} is not a valid field for {entity}")
    return key


def extract(entity: str, key: str, rec: dict) -> set[str] | None:
    return FIELDS[entity][0][key](rec)


@dataclass(frozen=True)
class Clause:
    key: str
    negate: bool
    mode: str  # "or" | "and" | "gt" | "lt" | "range" | "null"
    values: tuple[str, ...]

    def in_range(self, value: str) -> bool:
        """For gt / lt / range clauses: does a (numeric) value fall inside?"""
        try:
            n = int(value)
        except ValueError:
            return False
        if self.mode == "gt":
            return n > int(self.values[0])
        if self.mode == "lt":
            return n < int(self.values[0])
        return int(self.values[0]) <= n <= int(self.values[1])

    def select(self, postings: dict[str, set[int]], universe: set[int]) -> set[int]:
        """The records (indices) the clause keeps, from the attribute's postings (value -> records)."""
        if self.mode == "null":
            hit = universe - set().union(*postings.values()) if postings else set(universe)
        elif self.mode in ("gt", "lt", "range"):
            hit = set().union(*(ids for v, ids in postings.items() if self.in_range(v)))
        elif self.mode == "and":
            hit = set(universe)
            for v in self.values:
                hit &= postings.get(v, set())
        else:
            hit = set().union(*(postings.get(v, set()) for v in self.values))
        return universe - hit if self.negate else hit


def parse(entity: str, text: str) -> list[Clause]:
    clauses = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        if ":" not in part:
            raise FilterError(f"filter {part!r} is not attribute:value")
        raw_key, value = part.split(":", 1)
        key = field_of(entity, raw_key.strip().lower())
        value = value.strip()
        negate = value.startswith("!")
        value = value[1:] if negate else value
        if value.lower() == "null":
            clauses.append(Clause(key, negate, "null", ()))
        elif key in NUMERIC and value[:1] in "<>":
            _int(key, value[1:])
            clauses.append(Clause(key, negate, "gt" if value[0] == ">" else "lt", (value[1:],)))
        elif key in NUMERIC and "-" in value.strip("-"):
            lo, hi = value.split("-", 1)
            _int(key, lo), _int(key, hi)
            clauses.append(Clause(key, negate, "range", (lo, hi)))
        elif "+" in value or " " in value:  # '+' may arrive decoded as a space
            clauses.append(Clause(key, negate, "and", tuple(norm(v) for v in value.replace(" ", "+").split("+") if v)))
        else:
            values = tuple(norm(v) for v in value.split("|"))
            if key in NUMERIC:
                for v in values:
                    _int(key, v)
            clauses.append(Clause(key, negate, "or", values))
    return clauses


def _int(key: str, value: str) -> None:
    try:
        int(value)
    except ValueError:
        raise FilterError(f"Invalid filter: {key}:{value} ({key} expects an integer)") from None
