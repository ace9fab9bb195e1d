"""The warehouse touches only paths it created.

Every folder a run writes into (the build folder, releases, report, docs, logs, validations, the raw landing
zone of a source) carries a marker file from the moment the warehouse creates it; the published paths
(`openalex.duckdb`, `parquet`, `current`) are symlinks of a fixed shape into a marked release. Before any work a
run checks every such path: absent, or ours. Anything else (a user's folder named `docs` beside the warehouse,
`WAREHOUSE_PATH` naming someone's DuckDB file) stops the run with one sentence naming the path, and nothing is
moved, overwritten or deleted. Removing a release or a half-written staging folder also requires the marker.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from ..settings import Settings

MARKER = ".eu-cn-ai-warehouse"
RELEASES, CURRENT, PARQUET = "releases", "current", "parquet"
ALERTS = "alerts"  # the watchlist's alerts, one file per release
# Folders beside the published file that runs write into.
WAREHOUSE_FOLDERS = ("build", RELEASES, "report", "docs", "logs", "validations", ALERTS)


class ForeignPathError(RuntimeError):
    """A path the warehouse would write to holds something it did not create; the message is one sentence."""


def is_owned(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def mark(folder: Path) -> None:
    """Record that the warehouse created `folder` (it must have just made it, or already own it)."""
    marker = folder / MARKER
    if not marker.exists():
        marker.write_text(json.dumps({"created_by": "eu-cn-ai-warehouse",
                                      "created_at": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n")


def owned_dir(folder: Path) -> Path:
    """`folder`, created and marked if absent; a folder that exists without the marker is refused."""
    folder = Path(folder)
    if folder.is_dir() and not folder.is_symlink():
        if not (folder / MARKER).is_file():
            raise ForeignPathError(_foreign(folder, "a folder the warehouse did not create"))
        return folder
    if folder.exists() or folder.is_symlink():
        raise ForeignPathError(_foreign(folder, "not a folder the warehouse created"))
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir()
    mark(folder)
    return folder


def _foreign(path: Path, what: str) -> str:
    return (f"'{path}' is {what}, and the warehouse writes there: nothing was changed; move it away or set "
            "WAREHOUSE_PATH (or RAW_DIR) to a folder of its own.")


def _link_problem(link: Path, expected: str) -> str | None:
    """None if `link` is absent or the warehouse's symlink to `expected`, else the sentence saying what it is."""
    if link.is_symlink():
        if os.readlink(link) == expected:
            return None
        return _foreign(link, f"a symlink to '{os.readlink(link)}', not the warehouse's link to '{expected}'")
    if link.is_dir():
        return _foreign(link, "a folder the warehouse did not create")
    if link.exists():
        return _foreign(link, "a file the warehouse did not publish")
    return None


def release_of_current(warehouse_path: Path) -> str | None:
    """The release the `current` link makes live (its folder name), or None before the first publish."""
    link = warehouse_path.parent / CURRENT
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def foreign_path_problem(settings: Settings) -> str | None:
    """One sentence about the first path a run would write to that the warehouse did not create, else None."""
    target = settings.warehouse_path
    home = target.parent
    for link, expected in ((target, f"{CURRENT}/{target.name}"), (home / PARQUET, f"{CURRENT}/{PARQUET}")):
        if problem := _link_problem(link, expected):
            return problem
    current = home / CURRENT
    if current.is_symlink():
        pointed = os.readlink(current)
        parts = Path(pointed).parts
        if len(parts) != 2 or parts[0] != RELEASES or not is_owned(home / pointed):
            return _foreign(current, f"a symlink to '{pointed}', not to a release the warehouse published")
    elif current.exists():
        return _foreign(current, "not the warehouse's `current` link")
    folders = [home / name for name in WAREHOUSE_FOLDERS] + [settings.raw_dir / settings.source]
    for folder in folders:
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            return _foreign(folder, "not a folder the warehouse created")
        if folder.is_dir() and not (folder / MARKER).is_file():
            return _foreign(folder, "a folder the warehouse did not create")
    return None


def unwritable_problem(settings: Settings) -> str | None:
    """One sentence if this user cannot create or write the warehouse's folders, else None."""
    for name, path in (("WAREHOUSE_PATH", settings.warehouse_path.parent), ("RAW_DIR", settings.raw_dir)):
        existing = next(p for p in (path, *path.parents) if p.exists())
        if not os.access(existing, os.W_OK | os.X_OK):
            return f"{name}: '{existing}' is not writable by this user, so the warehouse cannot write '{path}'."
    return None
