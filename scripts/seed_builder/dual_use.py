"""dual_use_topics: the matching rules of curated/dual_use_rules.csv, each topic id checked against the stored
OpenAlex samples by its expected display name."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .files import curated

DUAL_USE_COLUMNS = ["dual_use_area", "match_type", "match_value", "applies_to", "match_display_name", "verified_in", "note"]


def openalex_topic_names(samples: Path) -> dict[str, tuple[str, str]]:
    """Every (topic id -> (display name, sample file)) seen anywhere in the OpenAlex sample records."""
    found: dict[str, tuple[str, str]] = {}

    def walk(node, source: str) -> None:
        if isinstance(node, dict):
            ident = node.get("id")
            if isinstance(ident, str) and re.fullmatch(r"https://openalex\.org/T\d+", ident) and node.get("display_name"):
                found.setdefault(ident.rsplit("/", 1)[-1], (node["display_name"], source))
            for value in node.values():
                walk(value, source)
        elif isinstance(node, list):
            for value in node:
                walk(value, source)

    for path in sorted(samples.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    walk(json.loads(line), path.name)
                except json.JSONDecodeError:
                    continue
    return found


def build_dual_use(samples: Path) -> list[dict]:
    topics = openalex_topic_names(samples)
    rows = []
    for rule in curated("dual_use_rules"):
        verified = ""
        if rule["match_type"] == "topic_id":
            value, display = rule["match_value"], rule["match_display_name"]
            if topics.get(value, ("",))[0] != display:
                raise ValueError(f"topic {value} {display!r} not found in the OpenAlex samples (got {topics.get(value)})")
            verified = f"openalex-samples/{topics[value][1]}"
        rows.append({**rule, "verified_in": verified})
    return rows
