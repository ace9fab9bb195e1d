"""Alerts for watched institutions: after each publish, what marts.release_changes says about the institutions of
the watchlist (dagster_project/watchlist.py), written to `alerts/<release>.jsonl` beside the warehouse and, when
ALERTS_WEBHOOK_URL is set, posted there as one JSON document.

The alerts read the release just published, so a run that did not publish writes none. A release that changes
nothing for the watched institutions writes no file. The webhook is best effort: urllib3's Retry (three retries
with backoff, on connection errors and 429/5xx answers) is the one retry layer; a post that still fails is logged
as a warning and never stops the run. The URL may hold a token, so no log line, metadata or file carries it.
"""

import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..lib.duckdb_io import connect
from ..lib.owned_paths import ALERTS, owned_dir
from ..resources import dbt_manifest
from ..run_guard import WarehouseSettings, WarehouseWriter
from ..watchlist import Watched, WatchlistError, load_watchlist
from .serving import PUBLISHED_KEY

ALERTS_KEY = dg.AssetKey(["warehouse", "watchlist_alerts"])
RISKY_LEVELS = ("pla", "defence_linked")  # a partner at these levels is a defence-linked one (PLA included)
WEBHOOK_RETRIES = Retry(total=3, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                        allowed_methods=frozenset({"POST"}))
CHANGE_COLUMNS = ("change_kind", "institution_id", "institution_ror", "institution_name", "country_code",
                  "partner_institution_id", "partner_ror", "partner_name", "old_risk_level", "new_risk_level",
                  "change_cause", "works", "work_ids", "previous_release_id")


def alerts_dir(warehouse_path: Path) -> Path:
    return warehouse_path.parent / ALERTS


def release_change_kinds(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """The change kinds of marts.release_changes: the accepted values its dbt test states."""
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if (node["resource_type"] == "test" and meta.get("name") == "accepted_values"
                and node.get("column_name") == "change_kind" and node.get("attached_node", "").endswith(".release_changes")):
            return tuple(meta["kwargs"]["values"])
    raise RuntimeError("The dbt project states no accepted change kinds for marts.release_changes.change_kind.")


def gains_a_risky_partner(alert: Mapping[str, Any]) -> bool:
    return alert["change_kind"] in ("new_partner", "partner_risk_level_changed") and alert["new_risk_level"] in RISKY_LEVELS


def watched_changes(con, watched: list[Watched]) -> tuple[str, list[dict]]:
    """The live release's id and its changes for the watched institutions, each with its watch entry's note."""
    release = con.execute("select arg_max(release_id, published_at) from history.releases").fetchone()[0]
    cursor = con.execute(
        f"""select {', '.join(CHANGE_COLUMNS)} from marts.release_changes
            where institution_ror in (select unnest(?::varchar[])) or institution_id in (select unnest(?::varchar[]))
            order by institution_id, change_kind, partner_institution_id""",
        [[w.ror_id for w in watched if w.ror_id], [w.openalex_id for w in watched if w.openalex_id]])
    alerts = []
    for row in cursor.fetchall():
        change = dict(zip(CHANGE_COLUMNS, row, strict=True))
        for entry in watched:
            if change["institution_ror"] == entry.ror_id or change["institution_id"] == entry.openalex_id:
                if change["change_kind"] in entry.changes:
                    alerts.append({"release_id": release, "watched_as": entry.given, "note": entry.note, **change})
                break
    return release, alerts


def write_alerts(folder: Path, release: str, alerts: list[dict]) -> Path:
    path = folder / f"{release}.jsonl"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("".join(json.dumps(a, ensure_ascii=False, sort_keys=True) + "\n" for a in alerts), encoding="utf-8")
    os.replace(tmp, path)
    return path


def post_alerts(url: str, release: str, alerts: list[dict], log) -> str:
    """POST {"release_id", "alerts"} to the webhook; returns what happened, in words without the URL."""
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=WEBHOOK_RETRIES))
        session.mount("https://", HTTPAdapter(max_retries=WEBHOOK_RETRIES))
        try:
            answer = session.post(url, json={"release_id": release, "alerts": alerts}, timeout=10)
        except requests.RequestException as exc:  # its text names the URL: only its kind is logged
            log.warning(f"The alerts webhook could not be reached after {WEBHOOK_RETRIES.total} retries "
                        f"({type(exc).__name__}); the alerts are in the alerts file.")
            return f"failed ({type(exc).__name__})"
    if answer.ok:
        return f"posted (HTTP {answer.status_code})"
    log.warning(f"The alerts webhook answered HTTP {answer.status_code}; the alerts are in the alerts file.")
    return f"failed (HTTP {answer.status_code})"


@dg.asset(
    key=ALERTS_KEY,
    deps=[PUBLISHED_KEY],
    group_name="serving",
    owners=["team:data-engineering"],
    kinds={"json"},
    tags={"layer": "serving"},
    description=(
        "What the release just published changes for the watched institutions (watchlist.yml): new Chinese partners, "
        "partners gone or re-levelled, works newly PLA or defence-linked, as `alerts/<release>.jsonl` beside the "
        "warehouse (none when nothing changed for them), and posted to ALERTS_WEBHOOK_URL when it is set."
    ),
)
def watchlist_alerts(context: dg.AssetExecutionContext, warehouse_settings: WarehouseSettings,
                     warehouse_writer: WarehouseWriter) -> dg.MaterializeResult:
    settings = warehouse_settings.current
    try:
        watched = load_watchlist(settings.watchlist_path, release_change_kinds(dbt_manifest()))
    except WatchlistError as exc:
        raise dg.Failure(str(exc)) from None
    with connect(settings.warehouse_path, read_only=True) as con:
        release, alerts = watched_changes(con, watched)
    path = write_alerts(owned_dir(alerts_dir(settings.warehouse_path)), release, alerts) if alerts else None
    webhook = "not configured"
    if settings.alerts_webhook_url and alerts:
        webhook = post_alerts(settings.alerts_webhook_url, release, alerts, context.log)
    elif settings.alerts_webhook_url:
        webhook = "nothing to post"
    risky = [a for a in alerts if gains_a_risky_partner(a)]
    context.log.info(f"Watchlist: {len(watched)} institutions watched, {len(alerts)} alerts in release {release}"
                     + (f" ({path})" if path else "") + f"; webhook {webhook}")
    return dg.MaterializeResult(metadata={
        "release": release,
        "watched_institutions": len(watched),
        "watchlist": dg.MetadataValue.path(str(settings.watchlist_path)),
        "alerts": len(alerts),
        "alerts_by_kind": dg.MetadataValue.json(dict(Counter(a["change_kind"] for a in alerts))),
        "risky_partners_gained": dg.MetadataValue.json(
            [{"institution": a["institution_name"], "partner": a["partner_name"], "level": a["new_risk_level"]} for a in risky]),
        "path": dg.MetadataValue.path(str(path)) if path else "no alerts",
        "webhook": webhook,
    })


@dg.asset_check(
    asset=ALERTS_KEY,
    name="no_watched_institution_gains_a_defence_linked_partner",
    description="Warns (does not fail the run) when the release gives a watched institution a new PLA or "
    "defence-linked Chinese partner, or moves a partner of one to those levels.",
)
def no_watched_institution_gains_a_defence_linked_partner(warehouse_settings: WarehouseSettings) -> dg.AssetCheckResult:
    settings = warehouse_settings.current
    with connect(settings.warehouse_path, read_only=True) as con:
        release = con.execute("select arg_max(release_id, published_at) from history.releases").fetchone()[0]
    path = alerts_dir(settings.warehouse_path) / f"{release}.jsonl"
    alerts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []
    risky = [a for a in alerts if gains_a_risky_partner(a)]
    return dg.AssetCheckResult(
        passed=not risky,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"release": release, "gained": dg.MetadataValue.json(
            [{"institution": a["institution_name"], "partner": a["partner_name"], "level": a["new_risk_level"],
              "change": a["change_kind"]} for a in risky])},
    )


alert_checks = [no_watched_institution_gains_a_defence_linked_partner]
