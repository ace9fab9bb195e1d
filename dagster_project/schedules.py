"""Schedules. The API source changes weekly enough for the study; snapshots are loaded by hand."""

import dagster as dg

from .jobs import update_warehouse_job

weekly_api_refresh = dg.ScheduleDefinition(
    job=update_warehouse_job,
    cron_schedule="0 3 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every Monday 03:00 UTC: update from the OpenAlex API (set OPENALEX_API_KEY). Off by default.",
)
