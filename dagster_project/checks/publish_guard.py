"""The publish guard: a run publishes only a plausible warehouse.

Blocking, on `marts/headline_figures`, which the publish step depends on: when it fails, the published file stays
as it was. It stops a run that
- with a real source (snapshot or API), loaded no works, found no AI works of Europe or China in the study's span,
  or no Europe–China works: an empty or truncated source, not a finding;
- would make a headline count of the span fall by more than PUBLISH_MAX_SHRINK (default 20 %) against the
  warehouse published now. PUBLISH_ALLOW_SHRINK=1 lets such a run through on purpose (a narrower definition, a
  smaller source). Counts under MIN_COMPARED works are not compared: one work moves them by more than 10 %.
"""


from pathlib import Path

import dagster as dg

from ..lib.duckdb_io import connect, markdown_table
from ..settings import Settings
from ..settings_resource import WarehouseSettings

HEADLINE = dg.AssetKey(["marts", "headline_figures"])
MIN_COMPARED = 10

SPAN_COUNTS = """
    select metric, scope, value
    from marts.headline_figures
    where unit = 'works' and period like '%-%' and value is not null
"""


def _span_counts(path: Path) -> dict[tuple[str, str], float]:
    with connect(path, read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select schema_name || '.' || table_name from duckdb_tables()").fetchall()}
        if "marts.headline_figures" not in tables:
            return {}
        return {(metric, scope): float(value) for metric, scope, value in con.execute(SPAN_COUNTS).fetchall()}


def emptiness_problem(settings: Settings, build_path: Path) -> str | None:
    """One sentence if a real source yielded an empty warehouse, else None."""
    if settings.is_synthetic:
        return None
    with connect(build_path, read_only=True) as con:
        records = con.execute(
            "select coalesce(sum(records), 0) from raw.load_log where entity = 'works'").fetchone()[0]
    if not records:
        where = f"OPENALEX_SNAPSHOT_DIR='{settings.snapshot_dir}'" if settings.source == "snapshot" else "the OpenAlex API fetch"
        return f"No OpenAlex works were loaded from {where}: not publishing an empty warehouse."
    counts = _span_counts(build_path)
    if not counts.get(("europe_ai_works", "EUROPE")) and not counts.get(("cn_ai_works", "CN")):
        return (f"{int(records):,} works were loaded but none is an AI work of Europe or China in the study's span: "
                "not publishing (is the source the right one, or the study's definitions too narrow?).")
    if not counts.get(("eu_cn_works", "EUROPE")):
        return (f"{int(records):,} works were loaded but none is a Europe–China AI work of the study's span: "
                "not publishing a warehouse of zeros.")
    return None


def shrinks(settings: Settings, build_path: Path) -> list[tuple[str, str, float, float, float]]:
    """Headline counts of the span that fall by more than the allowed share: (metric, scope, published, new, fall)."""
    if not settings.warehouse_path.is_file():
        return []
    published = _span_counts(settings.warehouse_path)
    new = _span_counts(build_path)
    fallen = []
    for key, old in sorted(published.items()):
        value = new.get(key, 0.0)
        if old >= MIN_COMPARED and (old - value) / old > settings.publish_max_shrink:
            fallen.append((*key, old, value, round((old - value) / old, 4)))
    return fallen


@dg.asset_check(
    asset=HEADLINE,
    name="publish_guard",
    blocking=True,
    description=(
        "The run publishes only a plausible warehouse: with a real source, some works loaded, some AI works of "
        "Europe or China and some Europe–China works; and no headline count of the span falls by more than "
        "PUBLISH_MAX_SHRINK against the published warehouse (PUBLISH_ALLOW_SHRINK=1 lets a shrink through on purpose)."
    ),
)
def publish_guard(context: dg.AssetCheckExecutionContext, warehouse_settings: WarehouseSettings) -> dg.AssetCheckResult:
    settings = warehouse_settings.current
    problem = emptiness_problem(settings, settings.build_path)
    fallen = shrinks(settings, settings.build_path)
    if not problem and fallen and not settings.publish_allow_shrink:
        metric, scope, old, value, fall = max(fallen, key=lambda row: row[4])
        others = f" ({len(fallen) - 1} other figures fell too)" if len(fallen) > 1 else ""
        problem = (f"The headline figure {metric} ({scope}) would fall from {old:,.0f} to {value:,.0f} (-{fall:.0%}), more "
                   f"than PUBLISH_MAX_SHRINK={settings.publish_max_shrink:g} allows{others}: not publishing; rerun with "
                   "PUBLISH_ALLOW_SHRINK=1 if the smaller figures are intended.")
    if problem:
        context.log.error(problem)
    elif fallen:
        context.log.warning(
            f"{len(fallen)} headline figures fell by more than PUBLISH_MAX_SHRINK; published as PUBLISH_ALLOW_SHRINK=1 allows.")
    return dg.AssetCheckResult(
        passed=problem is None,
        description=problem,
        metadata={
            "problem": problem or "none",
            "published_warehouse": str(settings.warehouse_path) if settings.warehouse_path.is_file() else "none yet",
            "max_shrink": settings.publish_max_shrink,
            "allow_shrink": settings.publish_allow_shrink,
            "fallen_figures": dg.MetadataValue.md(markdown_table(["metric", "scope", "published", "new", "fall"], fallen))
            if fallen else "none",
        },
    )
