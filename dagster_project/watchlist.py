"""The watchlist (`watchlist.yml`, or WATCHLIST_PATH): the European institutions whose changes between releases
raise alerts, each by ROR id or OpenAlex id, with an optional note and the change kinds that matter to it.

    institutions:
      - id: 02kkvpp62                       # a ROR id (bare or https://ror.org/…) or an OpenAlex id (I…)
        note: Partnership review, 2026      # optional: carried into every alert
        changes: [new_partner, partner_risk_level_changed]   # optional: default every institution change kind

A file that cannot be right stops the alerts step with one sentence naming the file, the entry and the field.
The change kinds are those of marts.release_changes (its dbt test's accepted values), read from the dbt project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .lib.ror_id import normalise_ror_id
from .profile_lookup import short_openalex_id

# Kinds of marts.release_changes that are not about one institution.
NOT_PER_INSTITUTION = ("first_release", "figure_changed")


class WatchlistError(ValueError):
    """A watchlist that cannot be right; the message is one sentence naming the file, entry and field."""


@dataclass(frozen=True)
class Watched:
    """One watched institution: exactly one of `ror_id` / `openalex_id`, as the marts write them."""

    given: str
    ror_id: str | None
    openalex_id: str | None
    note: str | None
    changes: tuple[str, ...]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    note: str | None = None
    changes: list[str] | None = None

    @field_validator("id")
    @classmethod
    def _is_an_institution_id(cls, value: str) -> str:
        if not (normalise_ror_id(value) or short_openalex_id(value)):
            raise ValueError(f"{value!r} is neither a ROR id (such as 02kkvpp62) nor an OpenAlex institution id (such as I62916508)")
        return value


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    institutions: list[_Entry] = Field(default_factory=list)


def _where(loc: tuple) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else (f".{part}" if i else str(part)) for i, part in enumerate(loc))


def load_watchlist(path: Path, change_kinds: tuple[str, ...]) -> list[Watched]:
    """The watched institutions of `path` (none when the file does not exist). `change_kinds`: every kind of
    marts.release_changes; an entry may name only the per-institution ones."""
    if not path.is_file():
        return []
    kinds = tuple(k for k in change_kinds if k not in NOT_PER_INSTITUTION)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise WatchlistError(f"{path}{line}: not a YAML file ({getattr(exc, 'problem', None) or exc}).") from None
    try:
        parsed = _File.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = error["msg"].removeprefix("Value error, ")
        raise WatchlistError(f"{path}, {_where(error['loc']) or 'the file'}: {message}.") from None
    watched = []
    for n, entry in enumerate(parsed.institutions):
        unknown = [k for k in entry.changes or () if k not in kinds]
        if unknown:
            raise WatchlistError(f"{path}, institutions[{n}].changes: {unknown[0]!r} is not a change kind "
                                 f"(expected some of {', '.join(kinds)}).")
        ror = normalise_ror_id(entry.id)
        watched.append(Watched(given=entry.id, ror_id=ror, openalex_id=None if ror else short_openalex_id(entry.id),
                               note=entry.note, changes=tuple(entry.changes or kinds)))
    return watched
