"""Jobs, one per use."""

import dagster as dg

from .assets.dbt import FULL_REFRESH_TAG

DBT_DOCS = dg.AssetSelection.assets(dg.AssetKey(["warehouse", "dbt_docs"]))
EVERYTHING_BUT_DOCS = dg.AssetSelection.all() - DBT_DOCS

# Everything a figure needs: land and load what is new in the raw data, build every model and check (the
# incremental models only for the works that changed), publish the serving copy and the report. The dbt docs site
# describes the project, not the data: it has its own job.
update_warehouse_job = dg.define_asset_job(
    "update_warehouse",
    selection=EVERYTHING_BUT_DOCS,
    description="Ingest what is new from the configured OpenAlex source, build and check every layer (incrementally), "
    "publish the warehouse.",
)

# The same, with every incremental model rebuilt from scratch and the reference seeds reloaded and retested
# (dbt's `--full-refresh`), e.g. after a bad load was repaired by hand.
full_refresh_job = dg.define_asset_job(
    "full_refresh",
    selection=EVERYTHING_BUT_DOCS,
    tags={FULL_REFRESH_TAG: "true"},
    description="Ingest from the configured OpenAlex source, rebuild every dbt model from scratch (full refresh) and "
    "reload the reference seeds, check every layer, publish the warehouse.",
)

# Rebuild the dbt layers and republish from the raw data already loaded (e.g. after changing a definition).
marts_only_job = dg.define_asset_job(
    "marts_only",
    selection=EVERYTHING_BUT_DOCS - dg.AssetSelection.groups("raw"),
    description="Rebuild reference, staging, intermediate and marts from the loaded raw layer, then publish.",
)

# The dbt docs site (catalog of every model and column) next to the published warehouse; `make docs`.
docs_job = dg.define_asset_job(
    "docs",
    selection=DBT_DOCS,
    description="Generate the dbt docs site for the published warehouse (served by `make docs`).",
)

# Re-render the study report from the published warehouse alone (e.g. after changing a template): `make report`.
report_only_job = dg.define_asset_job(
    "report_only",
    selection=dg.AssetSelection.assets(dg.AssetKey(["reports", "study_report"])),
    description="Re-render the study report (report/index.html) from the published warehouse, without a rebuild.",
)
