"""The Dagster code location: every asset, check, job and schedule of the warehouse."""

import dagster as dg

from .assets.dbt import dbt_model_assets
from .assets.raw import openalex_raw
from .assets.report import report_checks, study_report
from .assets.serving import dbt_docs, published_warehouse, serving_checks
from .checks.mart_checks import mart_checks
from .checks.raw_checks import raw_checks
from .checks.staging_checks import staging_checks
from .jobs import docs_job, full_refresh_job, marts_only_job, report_only_job
from .resources import dbt_resource
from .schedules import weekly_api_refresh

defs = dg.Definitions(
    assets=[openalex_raw, *dbt_model_assets, published_warehouse, dbt_docs, study_report],
    asset_checks=[*raw_checks, *staging_checks, *mart_checks, *serving_checks, *report_checks],
    jobs=[full_refresh_job, marts_only_job, docs_job, report_only_job],
    schedules=[weekly_api_refresh],
    resources={"dbt": dbt_resource()},
    # One DuckDB file has one writer: steps run one after another in one process.
    executor=dg.in_process_executor,
)
