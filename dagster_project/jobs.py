"""Jobs, one per use."""

import dagster as dg

# Everything: land and load the raw data, build every model and check, publish the serving copy.
full_refresh_job = dg.define_asset_job(
    "full_refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest from the configured OpenAlex source, build and check every layer, publish the warehouse.",
)

# Rebuild the dbt layers and republish from the raw data already loaded (e.g. after changing a definition).
marts_only_job = dg.define_asset_job(
    "marts_only",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("raw"),
    description="Rebuild reference, staging, intermediate and marts from the loaded raw layer, then publish.",
)
