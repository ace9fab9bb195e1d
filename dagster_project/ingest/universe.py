"""The study's universe: the works the raw layer keeps whole, decided inside the typed read of each file.

A work is in the universe if its publication year lies in the widest window any definition uses and it is AI
under any named AI definition, the broadest included: concept `ai_concept_id` at any score, or a topic or the
primary topic in subfield `ai_subfield_id` or `ai_broad_extra_subfield_id`. The parameters are the dbt vars in
`dbt/dbt_project.yml` (the definitions' one home). Every other work is counted, kept only as a thin version
row (`raw.work_versions`), and dropped.

The raw layer records the universe it was loaded with (`raw.universe`). A definition that needs a wider one
cannot be answered from it: the run stops and asks for a full reload (`WAREHOUSE_FULL_REFRESH=1`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..study_definitions import DBT_PROJECT_FILE, dbt_vars

FULL_RELOAD = "WAREHOUSE_FULL_REFRESH=1"


class UniverseTooNarrow(RuntimeError):
    """The raw layer was loaded with a narrower universe than the definitions now need."""


@dataclass(frozen=True)
class Universe:
    start_year: int
    end_year: int
    concept_ids: tuple[str, ...]
    subfield_ids: tuple[str, ...]

    @classmethod
    def from_dbt(cls, project_file: Path = DBT_PROJECT_FILE) -> Universe:
        vars_ = dbt_vars(project_file, required=("ai_concept_id", "ai_subfield_id"))
        # Every var naming a first or last year is a window some definition uses: the universe spans them all.
        starts = [int(v) for k, v in vars_.items() if k.endswith("_start_year")]
        ends = [int(v) for k, v in vars_.items() if k.endswith("_end_year")]
        subfields = [vars_["ai_subfield_id"], vars_.get("ai_broad_extra_subfield_id")]
        return cls(
            start_year=min(starts),
            end_year=max(ends),
            concept_ids=(str(vars_["ai_concept_id"]),),
            subfield_ids=tuple(sorted({str(s) for s in subfields if s})),
        )

    @classmethod
    def from_json(cls, text: str) -> Universe:
        d = json.loads(text)
        return cls(int(d["start_year"]), int(d["end_year"]), tuple(d["concept_ids"]), tuple(d["subfield_ids"]))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def covers(self, other: Universe) -> bool:
        """True if every work in `other` is in this universe."""
        return (
            self.start_year <= other.start_year
            and self.end_year >= other.end_year
            and set(other.concept_ids) <= set(self.concept_ids)
            and set(other.subfield_ids) <= set(self.subfield_ids)
        )

    def describe(self) -> str:
        return (
            f"works of {self.start_year}-{self.end_year} with concept {'/'.join(self.concept_ids)} (any score) "
            f"or a topic or primary topic in subfield {'/'.join(self.subfield_ids)}"
        )

    def where_sql(self) -> str:
        """A condition on the raw works columns (as read_json types them): the work is in the universe."""

        def short(expr: str) -> str:  # the id after the last '/', as dbt's openalex_short_id macro takes it
            return f"regexp_extract({expr}, '([^/]+)/?$', 1)"

        concepts = ", ".join(f"'{c}'" for c in self.concept_ids)
        subfields = ", ".join(f"'{s}'" for s in self.subfield_ids)
        return (
            f"(publication_year between {self.start_year} and {self.end_year} and ("
            f"list_has_any(list_transform(coalesce(concepts, []), c -> {short('c.id')}), [{concepts}])"
            f" or list_has_any(list_transform(coalesce(topics, []), t -> {short('t.subfield.id')}), [{subfields}])"
            f" or coalesce({short('primary_topic.subfield.id')} in ({subfields}), false)))"
        )


    # The fields the universe is decided on, in the order `could_be_sql` takes their JSON text.
    DECIDING_FIELDS = ("publication_year", "concepts", "topics", "primary_topic")

    def could_be_sql(self, year: str, concepts: str, topics: str, primary_topic: str) -> str:
        """A condition true for every work `where_sql` keeps, and for a few others, on the JSON text of the record's
        fields as DuckDB's json_extract writes them back: minified, with every escape decoded but a quote's, a
        backslash's and a control character's. The raw load types only the lines it lets through. It is a superset
        by construction:

        * Year: a line is let go only when its year is a plain integer outside the window. A year written any
          other way (a string, a decimal or an exponent, which DuckDB casts) is let through.
        * AI: the concepts hold the concept id, or the topics or the primary topic a subfield id as the last
          segment of a string (the exact rule compares the text after the last '/', a trailing '/' allowed) or
          as a number.
        """
        ids = [*self.concept_ids, *self.subfield_ids]
        if not all(re.fullmatch(r"[A-Za-z0-9]+", i) for i in ids):
            raise ValueError(f"an AI concept or subfield id of unexpected form in dbt/dbt_project.yml: {ids}")
        outside = (f"(regexp_full_match({year}, '-?[0-9]+') "
                   f"and try_cast({year} as bigint) not between {self.start_year} and {self.end_year})")
        concept = " or ".join(f"contains({concepts}, '{c}')" for c in self.concept_ids)
        subfield = f"""'(^|[/":,\\[])({"|".join(self.subfield_ids)})(/?"|[,}}\\]]|$)'"""
        ai = f"{concept} or regexp_matches({topics}, {subfield}) or regexp_matches({primary_topic}, {subfield})"
        return f"(not coalesce({outside}, false) and coalesce({ai}, false))"


def recorded(con) -> Universe | None:
    row = con.execute("select parameters from raw.universe order by recorded_at desc limit 1").fetchone()
    return Universe.from_json(row[0]) if row else None


def record(con, universe: Universe) -> None:
    con.execute("delete from raw.universe")
    con.execute("insert into raw.universe values (?, ?, current_timestamp)", [universe.to_json(), universe.describe()])


def require_covers(loaded: Universe, needed: Universe) -> None:
    if not loaded.covers(needed):
        raise UniverseTooNarrow(
            f"The raw layer holds {loaded.describe()}, but the definitions in dbt/dbt_project.yml need "
            f"{needed.describe()}: works outside the loaded universe were dropped, so run once with {FULL_RELOAD} "
            "to reload every raw file with the wider universe."
        )
