"""`make run`: materialise the full_refresh job through Dagster, then print the headline figures."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time

from .lib.duckdb_io import connect
from .lib.owned_paths import ALERTS, owned_dir, release_of_current
from .run_guard import ForeignPathError, WarehouseBusy, guarded_run
from .settings import SettingsError, load_settings

JOB = "update_warehouse"
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the warehouse; try again later
# How a full disk reads in Python's OSError, SQLite's and DuckDB's messages.
DISK_FULL = re.compile(r"No space left on device|\[Errno 28\]|database or disk is full|disk is full", re.IGNORECASE)

# (metric, scope, label) of the span figures, in the order printed. "On affiliation text alone": tagged because an
# affiliation string names a listed body, with no Chinese institution of the work carrying the tag.
SPAN_ROWS = [
    ("eu_cn_works", "EUROPE", "Europe–China AI works"),
    ("europe_share_with_cn", "EUROPE", "share of Europe's AI output with China"),
    ("cn_share_with_europe", "CN", "share of China's AI output with Europe"),
    ("country_share_of_eu_cn_works", "GB", "UK share of Europe–China works"),
    ("cn_share_with_country", "GB", "UK co-authored share of China's AI output"),
    ("eu_cn_works_with_pla", "EUROPE", "works with a PLA institution"),
    ("eu_cn_works_with_pla_by_text_only", "EUROPE", "  of them on affiliation text alone"),
    ("eu_cn_works_defence_linked", "EUROPE", "works with a defence-linked institution (PLA included)"),
    ("eu_cn_works_defence_linked_by_text_only", "EUROPE", "  of them on affiliation text alone"),
    ("eu_cn_share_defence_linked", "EUROPE", "share with a defence-linked institution (PLA incl.)"),
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


CHANGE_WORDS = {"new_partner": "new Chinese partners", "partner_gone": "partners gone",
                "partner_risk_level_changed": "partners with another risk level", "new_pla_works": "institutions with new PLA works",
                "new_defence_linked_works": "institutions with new defence-linked works", "figure_changed": "headline figures moved"}


def print_release_changes(path, alerts_folder) -> None:
    """What the live release changed against the one before (marts.release_changes), and the watchlist's alerts."""
    with connect(path, read_only=True) as con:
        release, previous = con.execute("select arg_max(release_id, published_at), count(*) from history.releases").fetchone()
        kinds = dict(con.execute("select change_kind, count(*) from marts.release_changes group by 1").fetchall())
        since = con.execute("select any_value(previous_release_id) from marts.release_changes").fetchone()[0]
    if "first_release" in kinds:
        print("\nThe warehouse's first release: the next ones will say what changed since (marts.release_changes).")
        return
    counts = ", ".join(f"{kinds[k]} {w}" for k, w in CHANGE_WORDS.items() if k in kinds)
    print(f"\nSince the last release{f' ({since})' if since else ''}: {counts or 'nothing changed'} "
          f"(marts.release_changes; {previous} releases in history.releases).")
    alerts = alerts_folder / f"{release}.jsonl"
    if alerts.is_file():
        n = len(alerts.read_text(encoding="utf-8").splitlines())
        print(f"Watchlist: {n} alerts for watched institutions in {alerts}.")


def _step_errors(result) -> list[str]:
    """Every line of the failed steps' errors and their causes (what a disk-full diagnosis looks for)."""
    texts = []
    for event in result.all_events:
        error = event.step_failure_data.error if event.is_step_failure and event.step_failure_data else None
        while error is not None:
            texts.append(error.message)
            error = error.cause or error.context
    return texts


def _disk_full_sentence(settings, errors: list[str]) -> str | None:
    if not any(DISK_FULL.search(text) for text in errors):
        return None
    folder = settings.warehouse_path.parent
    free = shutil.disk_usage(folder).free if folder.exists() else 0
    build, published = (p.stat().st_size if p.is_file() else 0 for p in (settings.build_path, settings.warehouse_path))
    # A publish writes a new copy of what analysts read (the DuckDB file and its Parquet files) while the live one
    # stays, and the build file grows with what is loaded: room for both again is the least a run needs.
    needed = build + 2 * published
    return (f"The disk holding '{folder}' is full ({free / 2**20:,.0f} MiB free): free at least {needed / 2**20:,.0f} MiB "
            f"there (the build file is {build / 2**20:,.0f} MiB, the published warehouse {published / 2**20:,.0f} MiB "
            "and a release writes a copy of it), then run again: it resumes from what was loaded.")


def execute_job(settings, job_name: str, defs=None, ops_config: dict | None = None):
    """Run a job of the code location (or of `defs`) through the shared instance, a line per step on the terminal and the whole log
    in `logs/`; returns the result, the log file, and the release live before and after (read from the `current`
    link). The caller holds the run guard."""
    from .instance import open_instance

    if defs is None:
        from .definitions import defs

    # Unique per run: a refused run (another holds the lock) never gets here, and a rerun in the same second does.
    log_file = owned_dir(settings.warehouse_path.parent / "logs") / f"{job_name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    job = defs.resolve_job_def(job_name)
    live_before = release_of_current(settings.warehouse_path)
    # dagster-dbt echoes every dbt event to stdout: into the log file with the rest, the terminal gets a line per step.
    # The instance is closed when the job ends: a command that goes on (make docs serves the site) holds none of it.
    with open_instance() as instance, log_file.open("a", encoding="utf-8") as echoes, contextlib.redirect_stdout(echoes):
        result = job.execute_in_process(
            instance=instance,
            run_config={"loggers": {
                # A line per step on the terminal; every message in the file. Dagster's console only for the critical.
                "console": {"config": {"log_level": "CRITICAL"}},
                "progress": {},
                "run_log_file": {"config": {"path": str(log_file)}},
            }, **({"ops": ops_config} if ops_config else {})},
            raise_on_error=False,
        )
    return result, log_file, live_before, release_of_current(settings.warehouse_path)


def report_failure(settings, result, live_before: str | None, live_after: str | None) -> None:
    """The lines a failed run ends with: which steps or checks, what is live now (read, never assumed), and a full
    disk said as such."""
    if live_after == live_before:
        live = (f"the published warehouse was left as it was (release {live_before})" if live_before
                else "nothing was published")
    else:
        live = f"a new release went live before it stopped: {live_after}"
    failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    blocked = [e.asset_check_evaluation_data for e in result.all_events
               if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed]
    reason = f"steps failed: {', '.join(failed)}" if failed else f"{len(blocked)} checks failed"
    print(f"The run stopped ({reason}); {live}.", file=sys.stderr)
    if full := _disk_full_sentence(settings, _step_errors(result)):
        print(full, file=sys.stderr)


def _run(settings) -> int:
    print(f"OpenAlex source: {settings.source} ({settings.source_reason})", flush=True)
    # Silent otherwise: importing Dagster and the code location, and parsing the dbt project if it changed.
    print("Loading the code location (the dbt project is parsed again only when it changed) …", flush=True)
    result, log_file, live_before, live_after = execute_job(settings, JOB)
    print(f"Full log: {log_file}")
    if not result.success:
        report_failure(settings, result, live_before, live_after)
        return 1
    print_headline(settings.warehouse_path)
    print_release_changes(settings.warehouse_path, settings.warehouse_path.parent / ALERTS)
    if live_after == live_before:
        print(f"\nThe run finished, but no new release went live (release {live_before} stays).")
    else:
        print(f"\nRelease {live_after} is live.")
    return 0


def main() -> int:
    try:
        settings = load_settings()
        # The writer lock and the ownership check come before anything is read, Dagster's instance included.
        with guarded_run(settings):
            return _run(settings)
    except (SettingsError, ForeignPathError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except WarehouseBusy as exc:
        print(exc, file=sys.stderr)
        return EXIT_BUSY


if __name__ == "__main__":
    sys.exit(main())
