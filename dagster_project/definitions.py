"""The Dagster code location: every asset, check, job and schedule of the warehouse."""

import dagster as dg

from .assets.alerts import alert_checks, watchlist_alerts
from .assets.dbt import dbt_model_assets
from .assets.raw import openalex_raw
from .assets.report import report_checks, study_report
from .assets.serving import dbt_docs, published_warehouse, release_log, serving_checks
from .checks.publish_guard import publish_guard
from .checks.raw_checks import raw_checks
from .jobs import docs_job, full_refresh_job, marts_only_job, report_only_job, update_warehouse_job
from .resources import dbt_resource
from .run_guard import warehouse_resources
from .run_logging import LOGGERS
from .schedules import weekly_api_refresh
from .settings import load_settings

# A bad setting stops the code location here, with its one-line message (the Dagster UI shows it), before any
# asset runs; each run reads them again, once, as its `warehouse_settings` resource.
load_settings()

defs = dg.Definitions(
    assets=[openalex_raw, *dbt_model_assets, published_warehouse, dbt_docs, study_report, watchlist_alerts, release_log],
    asset_checks=[*raw_checks, *serving_checks, *report_checks, publish_guard, *alert_checks],
    jobs=[update_warehouse_job, full_refresh_job, marts_only_job, docs_job, report_only_job],
    schedules=[weekly_api_refresh],
    resources={"dbt": dbt_resource(), **warehouse_resources()},
    # Used only by runs whose config names them (`make run`); the UI's runs keep Dagster's default logging.
    loggers=LOGGERS,
    # One DuckDB file has one writer: steps run one after another in one process.
    executor=dg.in_process_executor,
)
