"""`make sql`, `make docs` and `make report`: the published warehouse's SQL shell, dbt docs site and study report.

Paths come from the settings, as in every run, and reach the DuckDB shell and the web server as arguments: no
value is ever pasted into a shell command.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import signal
import sys
from pathlib import Path

from .settings import SettingsError, load_settings

JOBS = {"docs": "docs", "report": "report_only"}


def _serve(folder: Path, port: int) -> None:
    # Ctrl-C stops the server even when this process was started with SIGINT ignored (a parent may pass that on,
    # and Python then never turns it into KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"dbt docs: http://127.0.0.1:{port}/ (the same site in one file: {folder / 'static_index.html'}). "
              "Ctrl-C to stop.", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.serve", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sql", help="the DuckDB shell on the published warehouse, read-only")
    docs = commands.add_parser("docs", help="regenerate the dbt docs site and serve it on 127.0.0.1")
    docs.add_argument("--port", type=int, default=8081)
    report = commands.add_parser("report", help="re-render the study report from the published warehouse")
    report.add_argument("--full-refresh", action="store_true", help="draw every institution page, changed or not")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not settings.warehouse_path.is_file():
        print(f"No warehouse yet at '{settings.warehouse_path}': run `make run` first.", file=sys.stderr)
        return 1
    if args.command == "sql":
        shell = Path(sys.executable).with_name("duckdb")  # the duckdb-cli the project installs beside Python
        os.execv(shell, [str(shell), "-readonly", str(settings.warehouse_path)])
    # Imported only for a job: they load the code location (the dbt project's parse), which `make sql` never needs.
    from .assets.serving import docs_dir
    from .report import report_path
    from .run import EXIT_BUSY, execute_job, report_failure
    from .run_guard import ForeignPathError, WarehouseBusy, guarded_run

    try:
        with guarded_run(settings):
            redraw = {"reports__study_report": {"config": {"full_refresh": True}}} if getattr(args, "full_refresh", False) else None
            result, log_file, live_before, live_after = execute_job(settings, JOBS[args.command], ops_config=redraw)
    except ForeignPathError as exc:
        print(exc, file=sys.stderr)
        return 2
    except WarehouseBusy as exc:
        print(exc, file=sys.stderr)
        return EXIT_BUSY
    if not result.success:
        print(f"Full log: {log_file}")
        report_failure(settings, result, live_before, live_after)
        return 1
    if args.command == "report":
        print(f"Report: {report_path(settings.warehouse_path)}")
        return 0
    _serve(docs_dir(settings.warehouse_path), args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
