"""The report's "since the last release" page (`changes.html`): what marts.release_changes says this release
changed against the one before, for European institutions and for the headline figures; a first release says so."""

from __future__ import annotations

from .data import require
from .render import Page

PAGE = "changes.html"
INSTITUTION_KINDS = ("new_partner", "partner_risk_level_changed", "partner_gone", "new_pla_works", "new_defence_linked_works")


def changes_page(con) -> Page:
    """The page, read from the published warehouse (history.releases, marts.release_changes)."""
    require(con, "marts.release_changes", ("change_kind", "institution_id", "partner_name", "old_risk_level",
                                           "new_risk_level", "change_cause", "works", "work_ids", "metric", "old_value",
                                           "new_value", "value_change", "previous_release_id"))
    require(con, "history.releases", ("release_id", "published_at"))
    cur = con.execute(
        """select * from marts.release_changes
           order by list_position(?::varchar[], change_kind) nulls last, institution_name, partner_name, metric, scope, period""",
        [list(INSTITUTION_KINDS)])
    columns = [d[0] for d in cur.description]
    rows = [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    releases = [dict(zip(("release_id", "published_at"), r, strict=True)) for r in
                con.execute("select release_id, published_at from history.releases order by published_at desc").fetchall()]
    return Page(PAGE, "changes.html", {
        "first_release": any(r["change_kind"] == "first_release" for r in rows),
        "institution_changes": [r for r in rows if r["change_kind"] in INSTITUTION_KINDS],
        "figure_changes": [r for r in rows if r["change_kind"] == "figure_changed"],
        "release": releases[0] if releases else None,
        "previous": releases[1] if len(releases) > 1 else None,
    })
