"""`make run`: materialise the full_refresh job through Dagster, then print the headline figures."""

from __future__ import annotations

import sys

import dagster as dg

from .lib.duckdb_io import connect
from .settings import load_settings


def print_headline(path) -> None:
    with connect(path, read_only=True) as con:
        label = con.execute("select dataset_label from staging.stg_openalex__dataset").fetchone()[0]
        rows = con.execute(
            """select metric, scope, period, value, unit from marts.headline_figures
               where scope in ('EUROPE', 'CN', 'GB', 'DE', 'DE-CN') and (period like '%-%' or scope in ('EUROPE', 'CN'))
               order by scope = 'EUROPE' desc, scope, metric, period"""
        ).fetchall()
    print(f"\nHeadline figures — {label}\n")
    print(f"{'metric':42} {'scope':7} {'period':10} {'value':>12}")
    print("-" * 74)
    for metric, scope, period, value, unit in rows:
        shown = "—" if value is None else f"{value:.1%}" if unit == "share" else f"{value:,.0f}"
        print(f"{metric:42} {scope:7} {period:10} {shown:>12}")
    print(f"\nWarehouse: {path}\n(open it read-only: duckdb -readonly {path}; all figures in marts.headline_figures)")


def main() -> int:
    from .definitions import defs

    settings = load_settings()
    print(f"OpenAlex source: {settings.source} ({settings.source_reason})", flush=True)
    job = defs.get_job_def("full_refresh")
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        print(f"The run failed (steps: {', '.join(failed) or 'see the Dagster UI'}); the published warehouse was left as it was.", file=sys.stderr)
        return 1
    print_headline(settings.warehouse_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
