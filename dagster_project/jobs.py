"""Jobs, one per use."""

import dagster as dg

DBT_DOCS = dg.AssetSelection.assets(dg.AssetKey(["warehouse", "dbt_docs"]))

# Everything a figure needs: land and load the raw data, build every model and check, publish the serving
# copy and the report. The dbt docs site describes the project, not the data: it has its own job.
full_refresh_job = dg.define_asset_job(
    "full_refresh",
    selection=dg.AssetSelection.all() - DBT_DOCS,
    description="Ingest from the configured OpenAlex source, build and check every layer, publish the warehouse.",
)

# Rebuild the dbt layers and republish from the raw data already loaded (e.g. after changing a definition).
marts_only_job = dg.define_asset_job(
    "marts_only",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("raw") - DBT_DOCS,
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
