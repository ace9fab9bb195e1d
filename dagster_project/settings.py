"""Settings read from the environment, validated once; relative paths resolve against the project root.

A bad value raises `SettingsError`, whose message is one sentence naming the variable, the value given and what
is allowed: `make run` prints it alone and exits 2, and the Dagster UI shows it when the code location fails to
load (the definitions validate the settings as they load).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
# Where dbt keeps its parse and artifacts: dbt's and dagster-dbt's own variable, read here too so that the manifest
# the definitions load sits where dbt's commands write (relative to the dbt project; `target` by default).
DBT_TARGET_PATH = Path(os.environ.get("DBT_TARGET_PATH") or "target")

SOURCES = ("demo", "snapshot", "api")
SWITCH_VALUES = ("", "0", "1")
MEMORY_LIMIT = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


class SettingsError(ValueError):
    """A setting that cannot work; the message is the one line a user reads."""


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
    memory_limit: str = "768MB"
    full_refresh: bool = False
    # The publish guard: the largest fall of a headline count the run may publish, and the override.
    publish_max_shrink: float = 0.2
    publish_allow_shrink: bool = False

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


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    value = Path(env.get(name) or default).expanduser()
    return value if value.is_absolute() else PROJECT_ROOT / value


def _number(env: Mapping[str, str], name: str, default: str, kind: type, low: float, high: float | None, allowed: str):
    text = (env.get(name) or default).strip()
    try:
        value = kind(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not valid: expected {allowed}.") from None
    if value < low or (high is not None and value > high):
        raise SettingsError(f"{name}={text!r} is out of range: expected {allowed}.")
    return value


def _switch(env: Mapping[str, str], name: str) -> bool:
    text = (env.get(name) or "").strip()
    if text not in SWITCH_VALUES:
        raise SettingsError(f"{name}={text!r} is not valid: expected 1 (on) or 0 / unset (off).")
    return text == "1"


def _source(env: Mapping[str, str]) -> tuple[str, str]:
    explicit = (env.get("OPENALEX_SOURCE") or "").strip().lower()
    if explicit:
        if explicit not in SOURCES:
            raise SettingsError(f"OPENALEX_SOURCE={explicit!r} is not valid: expected one of {', '.join(SOURCES)}.")
        return explicit, "OPENALEX_SOURCE is set"
    if env.get("OPENALEX_API_KEY"):
        return "api", "OPENALEX_API_KEY is set"
    return "demo", "default: no OPENALEX_SOURCE and no OPENALEX_API_KEY"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings of `env` (default: this process's environment), or a SettingsError naming the bad one."""
    env = os.environ if env is None else env
    source, reason = _source(env)
    snapshot_dir = _path(env, "OPENALEX_SNAPSHOT_DIR", env["OPENALEX_SNAPSHOT_DIR"]) if env.get("OPENALEX_SNAPSHOT_DIR") else None
    if source == "snapshot":
        if snapshot_dir is None:
            raise SettingsError("OPENALEX_SOURCE=snapshot needs OPENALEX_SNAPSHOT_DIR: the folder of an OpenAlex snapshot is not set.")
        if not snapshot_dir.is_dir():
            raise SettingsError(f"OPENALEX_SNAPSHOT_DIR='{snapshot_dir}' is not a folder: expected the root of an OpenAlex snapshot.")
    api_key = env.get("OPENALEX_API_KEY") or None
    if source == "api" and not api_key:
        raise SettingsError("OPENALEX_SOURCE=api needs OPENALEX_API_KEY: OpenAlex requires an API key (free at openalex.org).")
    memory = (env.get("DUCKDB_MEMORY_LIMIT") or "768MB").strip()
    if not MEMORY_LIMIT.match(memory):
        raise SettingsError(f"DUCKDB_MEMORY_LIMIT={memory!r} is not valid: expected a size such as 768MB or 2GB.")
    return Settings(
        source=source,
        source_reason=reason,
        snapshot_dir=snapshot_dir,
        api_key=api_key,
        email=env.get("OPENALEX_EMAIL") or None,
        raw_dir=_path(env, "RAW_DIR", "raw"),
        warehouse_path=_path(env, "WAREHOUSE_PATH", "warehouse/openalex.duckdb"),
        demo_works=_number(env, "DEMO_WORKS", "20000", int, 1, None, "a whole number of works, at least 1"),
        demo_seed=_number(env, "DEMO_SEED", "2023", int, 0, None, "a whole number, 0 or more"),
        quarantine_max_share=_number(env, "RAW_QUARANTINE_MAX_SHARE", "0.001", float, 0, 1, "a share between 0 and 1"),
        memory_limit=memory,
        full_refresh=_switch(env, "WAREHOUSE_FULL_REFRESH"),
        publish_max_shrink=_number(env, "PUBLISH_MAX_SHRINK", "0.2", float, 0, 1, "a share between 0 and 1"),
        publish_allow_shrink=_switch(env, "PUBLISH_ALLOW_SHRINK"),
    )
