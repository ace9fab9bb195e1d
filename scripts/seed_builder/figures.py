"""reference_figures: the MERICS reference numbers, each mapped to the warehouse metric it compares with
(curated/reference_figure_map.csv) and cited to its primary publication (curated/primary_sources.csv)."""

from __future__ import annotations

from pathlib import Path

from .files import curated, read_csv

FIGURE_SOURCE_COLUMNS = ["metric_id", "metric", "value", "unit", "period", "geography", "data_source", "status",
                         "source", "notes"]
FIGURE_COLUMNS = FIGURE_SOURCE_COLUMNS + ["value_numeric", "warehouse_metric", "warehouse_scope", "warehouse_period",
                                          "warehouse_comparison_note"]


def build_figures(ref: Path) -> list[dict]:
    mapping = {r["metric_id"]: r for r in curated("reference_figure_map")}
    primary = {r["metric_id"]: r for r in curated("primary_sources")}
    rows_in = read_csv(ref / "merics_reference_numbers.csv")
    unknown = {m for m, r in mapping.items() if r["warehouse_metric"]} - {r["metric_id"] for r in rows_in}
    if unknown:
        raise ValueError(f"merics_reference_numbers.csv lost metric ids {sorted(unknown)}")
    rows = []
    for r in rows_in:
        mapped = mapping.get(r["metric_id"], {})
        try:
            float(r["value"])
            numeric = r["value"]
        except ValueError:
            numeric = ""
        cited = {c: r[c] for c in FIGURE_SOURCE_COLUMNS}
        if r["metric_id"] in primary:  # the primary publication
            cited["source"] = primary[r["metric_id"]]["source"]
            if added := primary[r["metric_id"]]["notes_added"]:
                cited["notes"] = f"{cited['notes']}; {added}" if cited["notes"] else added
        rows.append({**cited, "value_numeric": numeric,
                     **{c: mapped.get(c, "") for c in ("warehouse_metric", "warehouse_scope", "warehouse_period")},
                     "warehouse_comparison_note": mapped.get("note", "")})
    return rows
