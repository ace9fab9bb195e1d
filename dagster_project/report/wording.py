"""How counts, periods and ranks read, the same in the study report, the institution pages and `make profile`:
"1 work" and "2 works", a single year as one year ("2021", never "2021–2021"), and a rank that equal figures share
marked with "=" ("23=", competition ranking as the marts compute it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def count(n: int, noun: str, nouns: str | None = None) -> str:
    """`n` with its noun in the right number: 1 work, 2 works, 1,234 works."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def noun(n: int, singular: str, plural: str | None = None) -> str:
    """The noun alone, in the number `n` asks for (a tile shows the figure apart from its label)."""
    return singular if n == 1 else plural or singular + "s"


def period(first: int | str | None, last: int | str | None) -> str:
    """A span of years: "2017–2022", or one year alone."""
    if first is None or last is None:
        return "n/a"
    return str(first) if first == last else f"{first}–{last}"


def shared(ranks: Iterable[int | None]) -> set[int]:
    """The ranks held by more than one row (ties)."""
    return {r for r, n in Counter(r for r in ranks if r is not None).items() if n > 1}


def rank(value: int | None, tied: set[int]) -> str:
    """A rank as shown: "23=" when other rows share it, "n/a" for none."""
    if value is None:
        return "n/a"
    return f"{value}=" if value in tied else str(value)
