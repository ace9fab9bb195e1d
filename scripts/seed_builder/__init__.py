"""The seed builder: rebuilds the dbt seeds (seeds/*.csv) from the shared reference data.

Maintenance code, run by hand when the reference data changes (`python scripts/build_seeds.py <shared folder>`);
nothing reads the reference data at warehouse run time: the committed seeds are the copies. One module per seed
family, each reading its curated tables from curated/*.csv (each file says where its rows come from):

- files: reading and writing CSVs, ROR ids (by dagster_project/lib/ror_id.py: dbt's ror_short_id macro, the project's one ROR-id rule)
- countries, entities (risk_entities, with pla_bodies: PLA bodies the ROR subset shows), units
  (risk_entity_units), funders (chinese_funders, chinese_funder_fundref_ids, funding_programmes), dual_use,
  figures (reference_figures)
- names, collisions, places: the affiliation-text matcher's name seeds (risk_entity_names, risk_name_collisions,
  china_places)
- build: all of them, in order, and the command line.

The group -> tag rule is itself a seed, seeds/risk_entity_groups.csv, read here and by the seeds' dbt tests.
"""
