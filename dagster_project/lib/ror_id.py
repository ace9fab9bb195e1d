"""The ROR-id rule, stated once for Python (the profile CLI and the seed builder). dbt's `ror_short_id` macro
(dbt/macros/openalex_short_id.sql) is its SQL twin with the same pattern; tests/fixtures/ror_id_cases.csv is the
one table of accepted and rejected forms both are tested on.

A ROR id is `0`, six Crockford base-32 characters (digits and letters but i, l, o, u) and two check digits: ISO
7064 Mod 97-10 of the six characters read as a base-32 number (https://ror.readme.io/docs/identifier). It arrives
bare (`05d2yfz11`), as a URL (`https://ror.org/05d2yfz11`, `ror.org/05d2yfz11/`), with the prefix doubled as in
real OpenAlex snapshot lines (`https://ror.org/https://ror.org/05d2yfz11`), in either case, padded with blanks.
Anything else holds no ROR id: an id on another host, a bad checksum, a path after the id, an OpenAlex id.
"""

from __future__ import annotations

import re

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
# Read on the lower-cased text. Written for both Python's re and DuckDB's RE2 (the macro holds the same text).
PATTERN = r"^[ \t\r\n]*(?:(?:https?://)?(?:www\.)?ror\.org/)*(0[0-9a-hjkmnp-tv-z]{6}[0-9]{2})/?[ \t\r\n]*$"
_ROR = re.compile(PATTERN)


def checksum(body: str) -> str:
    """The two check digits of the six base-32 characters after the leading 0."""
    number = 0
    for ch in body:
        number = number * 32 + CROCKFORD.index(ch)
    return f"{98 - (number * 100) % 97:02d}"


def normalise_ror_id(text: str) -> str | None:
    """The bare lower-case 9-character ROR id `text` holds, or None when it holds no valid one."""
    match = _ROR.fullmatch(text.lower())
    ror_id = match[1] if match else None
    return ror_id if ror_id and checksum(ror_id[1:7]) == ror_id[7:] else None
