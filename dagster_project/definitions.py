"""The Dagster code location: every asset, check, job and schedule of the warehouse."""

import dagster as dg

from .assets.dbt import dbt_resource, warehouse_dbt_models
from .assets.raw import openalex_raw
from .assets.serving import published_warehouse
from .checks.mart_checks import mart_checks
from .checks.raw_checks import raw_checks
from .jobs import full_refresh_job, marts_only_job
from .schedules import weekly_api_refresh

defs = dg.Definitions(
    assets=[openalex_raw, warehouse_dbt_models, published_warehouse],
    asset_checks=[*raw_checks, *mart_checks],
    jobs=[full_refresh_job, marts_only_job],
    schedules=[weekly_api_refresh],
    resources={"dbt": dbt_resource()},
    # One DuckDB file has one writer: steps run one after another in one process.
    executor=dg.in_process_executor,
)
