"""`make run`: materialise the full_refresh job through Dagster, then print the headline figures."""

from __future__ import annotations

import contextlib
import sys
import time

import dagster as dg

from .lib.duckdb_io import connect
from .settings import SettingsError, load_settings

JOB = "update_warehouse"

# (metric, scope, label) of the span figures, in the order printed.
SPAN_ROWS = [
    ("eu_cn_works", "EUROPE", "Europe–China AI works"),
    ("europe_share_with_cn", "EUROPE", "share of Europe's AI output with China"),
    ("cn_share_with_europe", "CN", "share of China's AI output with Europe"),
    ("country_share_of_eu_cn_works", "GB", "UK share of Europe–China works"),
    ("cn_share_with_country", "GB", "UK co-authored share of China's AI output"),
    ("eu_cn_works_with_pla", "EUROPE", "works with a PLA institution"),
    ("eu_cn_works_defence_linked", "EUROPE", "works with a defence-linked institution"),
    ("eu_cn_share_defence_linked", "EUROPE", "share with a defence-linked institution"),
    ("eu_cn_works_security_linked", "EUROPE", "works with a security-linked institution"),
    ("eu_cn_works_dual_use", "EUROPE", "works in a dual-use area"),
    ("eu_cn_works_funding_disclosed", "EUROPE", "works disclosing funding"),
    ("share_china_funded_of_disclosed", "EUROPE", "China-funded (share of disclosing)"),
    ("share_china_gov_funded_of_disclosed", "EUROPE", "Chinese-government-funded (share of disclosing)"),
    ("eu_cn_works_defence_programme_funded", "EUROPE", "works funded by the defence basic research programme"),
]


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.0f}"


def print_headline(path) -> None:
    with connect(path, read_only=True) as con:
        label, synthetic = con.execute("select dataset_label, is_synthetic from staging.stg_openalex__dataset").fetchone()
        rows = con.execute(
            "select metric, scope, period, value, unit, merics_value, definition_set from marts.headline_figures"
        ).fetchall()
    figures = {(m, s, p): (v, u, ref) for m, s, p, v, u, ref, _ in rows}
    definition_set = rows[0][6] if rows else "?"
    span = next((p for _, _, p in figures if "-" in p), "?")
    years = sorted({p for _, _, p in figures if "-" not in p})

    def value(metric: str, scope: str, period: str) -> str:
        v, unit, _ = figures.get((metric, scope, period), (None, "works", None))
        return _fmt(v, unit)

    banner = "SYNTHETIC DEMO DATA — NOT REAL OPENALEX FIGURES" if synthetic else "OpenAlex data"
    print(f"\n{'=' * 96}\nHeadline figures — {banner}\n{label}\nDefinitions in force: {definition_set} (europe/ai/risk list)\n{'=' * 96}")

    print("\nEurope–China AI collaboration by year")
    head = (f"{'year':10} {'EU–CN works':>12} {'Europe AI':>10} {'Europe share':>13} {'China AI':>10} {'China share':>12} "
            f"{'GB share w/ CN':>15}")
    print(head)
    print("-" * len(head))
    for period in years + [span]:
        print(
            f"{period:10} {value('eu_cn_works', 'EUROPE', period):>12} {value('europe_ai_works', 'EUROPE', period):>10} "
            f"{value('europe_share_with_cn', 'EUROPE', period):>13} {value('cn_ai_works', 'CN', period):>10} "
            f"{value('cn_share_with_europe', 'CN', period):>12} {value('country_share_with_cn', 'GB', period):>15}"
        )

    print(f"\nRisk, funding and links, {span}")
    head = f"{'figure':56} {'value':>10} {'MERICS 2023':>12}"
    print(head)
    print("-" * len(head))
    for metric, scope, text in SPAN_ROWS:
        v, unit, ref = figures.get((metric, scope, span), (None, "works", None))
        print(f"{text:56} {_fmt(v, unit):>10} {_fmt(ref, unit) if ref is not None else '':>12}")
    tum = next(((k, val) for k, val in figures.items() if k[0].endswith("_links_involving_tum")), None)
    if tum:
        (metric, scope, _), (v, _, ref) = tum
        n = metric.removeprefix("top").split("_", 1)[0]
        text = f"top-{n} {scope} institution links with TU Munich"
        print(f"{text:56} {_fmt(v, 'links') + ' of ' + n:>10} {_fmt(ref, 'links') if ref is not None else '':>12}")
    if synthetic:
        print("\nThese figures come from a generated data set: they test the pipeline, they say nothing about real research.")
    print(f"\nWarehouse: {path}\nQuery it read-only with `make sql` (the DuckDB shell installed with the project: "
          f".venv/bin/duckdb -readonly {path}); every figure is in marts.headline_figures, other definitions in "
          "marts.sensitivity_figures.")


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"OpenAlex source: {settings.source} ({settings.source_reason})", flush=True)
    from .definitions import defs

    log_file = settings.warehouse_path.parent / "logs" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    job = defs.resolve_job_def(JOB)
    # dagster-dbt echoes every dbt event to stdout: into the log file with the rest, the terminal gets a line per step.
    with log_file.open("a", encoding="utf-8") as echoes, contextlib.redirect_stdout(echoes):
        result = job.execute_in_process(
            instance=dg.DagsterInstance.get(),
            run_config={"loggers": {
                # A line per step on the terminal; every message in the file. Dagster's console only for the critical.
                "console": {"config": {"log_level": "CRITICAL"}},
                "progress": {},
                "run_log_file": {"config": {"path": str(log_file)}},
            }},
            raise_on_error=False,
        )
    print(f"Full log: {log_file}")
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        blocked = [e.asset_check_evaluation_data for e in result.all_events
                   if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed]
        reason = f"steps failed: {', '.join(failed)}" if failed else f"{len(blocked)} checks failed"
        print(f"The run stopped ({reason}); the published warehouse was left as it was.", file=sys.stderr)
        return 1
    print_headline(settings.warehouse_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
