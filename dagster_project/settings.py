"""Settings read from the environment; relative paths resolve against the project root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"

SOURCES = ("demo", "snapshot", "api")


def _path(name: str, default: str) -> Path:
    value = Path(os.environ.get(name) or default).expanduser()
    return value if value.is_absolute() else PROJECT_ROOT / value


@dataclass(frozen=True)
class Settings:
    source: str
    source_reason: str
    snapshot_dir: Path | None
    api_key: str | None
    email: str | None
    raw_dir: Path
    warehouse_path: Path
    demo_works: int
    demo_seed: int
    quarantine_max_share: float = 0.001

    @property
    def build_path(self) -> Path:
        """Runs write here; the file analysts open (`warehouse_path`) is only ever replaced whole."""
        return self.warehouse_path.parent / "build" / self.warehouse_path.name

    @property
    def is_synthetic(self) -> bool:
        return self.source == "demo"

    def __repr__(self) -> str:  # never print the key
        return (
            f"Settings(source={self.source!r}, raw_dir='{self.raw_dir}', "
            f"warehouse_path='{self.warehouse_path}', api_key={'set' if self.api_key else 'unset'})"
        )


def load_settings() -> Settings:
    explicit = (os.environ.get("OPENALEX_SOURCE") or "").strip().lower()
    api_key = os.environ.get("OPENALEX_API_KEY") or None
    if explicit:
        if explicit not in SOURCES:
            raise ValueError(f"OPENALEX_SOURCE={explicit!r} is not one of {', '.join(SOURCES)}")
        source, reason = explicit, "OPENALEX_SOURCE is set"
    elif api_key:
        source, reason = "api", "OPENALEX_API_KEY is set"
    else:
        source, reason = "demo", "default: no OPENALEX_SOURCE and no OPENALEX_API_KEY"
    snapshot = os.environ.get("OPENALEX_SNAPSHOT_DIR")
    return Settings(
        source=source,
        source_reason=reason,
        snapshot_dir=_path("OPENALEX_SNAPSHOT_DIR", snapshot) if snapshot else None,
        api_key=api_key,
        email=os.environ.get("OPENALEX_EMAIL") or None,
        raw_dir=_path("RAW_DIR", "raw"),
        warehouse_path=_path("WAREHOUSE_PATH", "warehouse/openalex.duckdb"),
        demo_works=int(os.environ.get("DEMO_WORKS", "20000")),
        demo_seed=int(os.environ.get("DEMO_SEED", "2023")),
        quarantine_max_share=float(os.environ.get("RAW_QUARANTINE_MAX_SHARE", "0.001")),
    )
