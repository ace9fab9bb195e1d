"""Gates on the raw layer, blocking: a failure stops the dbt models downstream in the same run."""


from pathlib import Path

import dagster as dg

from ..ingest.quarantine import quarantine_file
from ..lib.duckdb_io import connect, markdown_table
from ..settings_resource import WarehouseSettings
from .contract import source_rules
from .ge_validation import check_result, validate_table

RAW_TABLES = ("works", "institutions", "funders")


def _contract_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["openalex", table]),
        name="contract",
        blocking=True,
        description=f"Great Expectations suite derived from the `openalex.{table}` source columns' meta.contract (dbt yml).",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse_settings: WarehouseSettings) -> dg.AssetCheckResult:
        settings = warehouse_settings.current
        rules = source_rules("openalex", table)
        with connect(settings.build_path) as con:  # writable: a pass records how far the rows were validated
            outcome = validate_table(con, f"raw.{table}", rules, settings.warehouse_path.parent / "validations", context.run.run_id)
        return check_result(outcome, rules)

    return _check


def _reconciliation_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["openalex", table]),
        name="reconciliation",
        blocking=True,
        description=(
            "Per raw file: records in the source (manifest or line count) = loaded + outside the study's universe + "
            "quarantined; the table holds exactly the loaded rows"
            + (", and raw.work_versions one row per record read (loaded or outside)." if table == "works" else ".")
        ),
    )
    def _check(warehouse_settings: WarehouseSettings) -> dg.AssetCheckResult:
        settings = warehouse_settings.current
        with connect(settings.build_path, read_only=True) as con:
            bad = con.execute(
                """select file, records, loaded, outside_universe, quarantined from raw.load_log
                   where entity = ? and records <> loaded + outside_universe + quarantined""",
                [table],
            ).fetchall()
            records, logged, outside, quarantined = con.execute(
                """select coalesce(sum(records), 0), coalesce(sum(loaded), 0), coalesce(sum(outside_universe), 0),
                          coalesce(sum(quarantined), 0) from raw.load_log where entity = ?""",
                [table],
            ).fetchone()
            in_table = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            versions = con.execute("select count(*) from raw.work_versions").fetchone()[0] if table == "works" else None
        passed = not bad and logged == in_table and (versions is None or versions == logged + outside)
        metadata = {
            "records": int(records), "loaded": int(logged), "outside_universe": int(outside),
            "quarantined": int(quarantined), "rows_in_table": int(in_table),
            "files_not_reconciling": dg.MetadataValue.md(
                markdown_table(["file", "records", "loaded", "outside_universe", "quarantined"], bad)) if bad else "none",
        }
        if versions is not None:
            metadata["rows_in_work_versions"] = int(versions)
        return dg.AssetCheckResult(passed=passed, metadata=metadata)

    return _check


def _percent(share: float) -> str:
    return f"{share * 100:.3g} %"


def quarantine_description(table: str, counts: tuple, worst: list[tuple], max_share: float, qfile: Path) -> str:
    """One sentence: the share quarantined (of records, or of bytes for part files that cannot be read at all),
    against RAW_QUARANTINE_MAX_SHARE, with the worst files (most quarantined records first)."""
    records, quarantined, size, quarantined_bytes = counts
    record_share = quarantined / records if records else 0.0
    byte_share = quarantined_bytes / size if size else 0.0
    if not quarantined and not quarantined_bytes:
        return f"No {table} record was quarantined."
    what = f"{_percent(record_share)} of the {table} records ({quarantined:,} of {records:,}) could not be loaded"
    if byte_share > record_share:
        what = (f"{_percent(byte_share)} of the {table} part files' bytes ({quarantined_bytes:,} of {size:,}) are in "
                f"files that cannot be read, and {quarantined:,} of {records:,} records could not be loaded")
    limit = f"RAW_QUARANTINE_MAX_SHARE={max_share:g}"
    verdict = (f"more than {limit} allows" if max(record_share, byte_share) > max_share
               else f"within {limit}, so the run goes on")
    files = ", ".join(
        f"{Path(file).parent.name}/{Path(file).name} "
        f"({f'{n:,} records' if n else f'{b:,} bytes'}: {(reason or '')[:120]})"
        for file, n, b, reason in worst
    )
    return f"{what}, {verdict}: worst files {files}; see raw.quarantine and {qfile}."


def _quarantine_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["openalex", table]),
        name="quarantine",
        blocking=True,
        description=(
            "Lines that could not be loaded: any at all is a warning (see raw.quarantine and the quarantine file); "
            "more than RAW_QUARANTINE_MAX_SHARE of the records, or of the bytes for part files that cannot be read "
            "at all (default 0.1 %), is an error that stops the run."
        ),
    )
    def _check(warehouse_settings: WarehouseSettings) -> dg.AssetCheckResult:
        settings = warehouse_settings.current
        with connect(settings.build_path, read_only=True) as con:
            counts = con.execute(
                """select coalesce(sum(records), 0), coalesce(sum(quarantined), 0), coalesce(sum(size_bytes), 0),
                          coalesce(sum(quarantined_bytes), 0) from raw.load_log where entity = ?""", [table]
            ).fetchone()
            worst = con.execute(
                """select file, quarantined, coalesce(quarantined_bytes, 0),
                          (select reason from raw.quarantine q where q.entity = l.entity and q.file = l.file
                           group by reason order by count(*) desc, reason limit 1)
                   from raw.load_log l
                   where entity = ? and (quarantined > 0 or quarantined_bytes > 0)
                   order by quarantined desc, quarantined_bytes desc, file limit 3""", [table]
            ).fetchall()
            sample = con.execute(
                "select file, line, reason from raw.quarantine where entity = ? order by file, line limit 10", [table]
            ).fetchall()
        records, quarantined, size, quarantined_bytes = (int(v) for v in counts)
        share = max(quarantined / records if records else 0.0, quarantined_bytes / size if size else 0.0)
        too_many = share > settings.quarantine_max_share
        return dg.AssetCheckResult(
            passed=quarantined == 0 and quarantined_bytes == 0,
            severity=dg.AssetCheckSeverity.ERROR if too_many else dg.AssetCheckSeverity.WARN,
            description=quarantine_description(
                table, (records, quarantined, size, quarantined_bytes), worst, settings.quarantine_max_share,
                quarantine_file(settings.raw_dir, settings.source, table)),
            metadata={
                "records": records, "quarantined": quarantined, "share": round(share, 6),
                "bytes": size, "quarantined_bytes": quarantined_bytes,
                "max_share": settings.quarantine_max_share,
                "first_lines": dg.MetadataValue.md(markdown_table(["file", "line", "reason"], sample)) if sample else "none",
            },
        )

    return _check


raw_checks = [c for t in RAW_TABLES for c in (_contract_check(t), _reconciliation_check(t), _quarantine_check(t))]
