"""Settings read from the environment, validated once; relative paths resolve against the project root.

A bad value raises `SettingsError`, whose message is one sentence naming the variable, the value given and what
is allowed: `make run` prints it alone and exits 2, and the Dagster UI shows it when the code location fails to
load (the definitions validate the settings as they load).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"

SOURCES = ("demo", "snapshot", "api")
SWITCH_VALUES = ("", "0", "1")
SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
              "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
# Below this DuckDB cannot hold one part file's row groups, and every step fails on memory instead of spilling.
MIN_MEMORY_LIMIT = 128 * 1000**2
OPENALEX_URL = "https://api.openalex.org"
# An address a mail server accepts, without spaces or control characters (it is sent in an HTTP header).
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    demo_release: int
    quarantine_max_share: float = 0.001
    memory_limit: str = "768MB"
    full_refresh: bool = False
    # The publish guard: the largest fall of a headline count the run may publish, and the override.
    publish_max_shrink: float = 0.2
    publish_allow_shrink: bool = False
    # The longest raw JSON line loaded; a longer one is quarantined with its size.
    raw_max_line_bytes: int = 2 * 1000**2
    api_url: str = OPENALEX_URL
    dbt_target: str | None = None  # DBT_TARGET_PATH, if set
    # The watched institutions (dagster_project/watchlist.py) and where their alerts are also posted (a secret:
    # never printed, logged or stored).
    watchlist_path: Path = PROJECT_ROOT / "watchlist.yml"
    alerts_webhook_url: str | None = None

    @property
    def build_path(self) -> Path:
        """Runs write here; the file analysts open (`warehouse_path`) is only ever replaced whole."""
        return self.warehouse_path.parent / "build" / self.warehouse_path.name

    @property
    def dbt_target_path(self) -> Path:
        """Where dbt keeps this build database's parse and each command's artifacts and logs: beside the build file,
        so two warehouses built from one checkout never share (or overwrite) a parse. DBT_TARGET_PATH, dbt's and
        dagster-dbt's own variable, overrides it (relative to the dbt project)."""
        return DBT_PROJECT_DIR / self.dbt_target if self.dbt_target else self.build_path.parent / "dbt"

    @property
    def is_synthetic(self) -> bool:
        return self.source == "demo"

    def __repr__(self) -> str:  # never print the key
        return (
            f"Settings(source={self.source!r}, raw_dir='{self.raw_dir}', "
            f"warehouse_path='{self.warehouse_path}', api_key={'set' if self.api_key else 'unset'}, "
            f"alerts_webhook_url={'set' if self.alerts_webhook_url else 'unset'})"
        )


def _path(env: Mapping[str, str], name: str, default: str, *, file: bool = False) -> Path:
    """A path setting, absolute, whose existing part has the right type: a file's path (or a folder's) must not
    be an existing folder (or file), and no part of the way to it may be a file."""
    text = env.get(name) or default
    if CONTROL.search(text):
        raise SettingsError(f"{name}={text!r} is not valid: a path without control characters (newlines, tabs) is expected.")
    value = Path(text).expanduser()
    value = value if value.is_absolute() else PROJECT_ROOT / value
    if file and value.is_dir():
        raise SettingsError(f"{name}='{value}' is a folder: expected the path of the DuckDB file to publish "
                            f"(e.g. '{value / 'openalex.duckdb'}').")
    if not file and value.exists() and not value.is_dir():
        raise SettingsError(f"{name}='{value}' is a file: expected a folder.")
    for parent in value.parents:
        if parent.exists():
            if not parent.is_dir():
                raise SettingsError(f"{name}='{value}' lies under '{parent}', which is a file, not a folder.")
            break
    return value


def _number(env: Mapping[str, str], name: str, default: str, kind: type, low: float, high: float | None, allowed: str):
    text = (env.get(name) or default).strip()
    try:
        value = kind(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not valid: expected {allowed}.") from None
    if not math.isfinite(value):  # float('nan') compares false with every bound: it would switch a limit off
        raise SettingsError(f"{name}={text!r} is not a finite number: expected {allowed}.")
    if value < low or (high is not None and value > high):
        raise SettingsError(f"{name}={text!r} is out of range: expected {allowed}.")
    return value


def _size(env: Mapping[str, str], name: str, default: str, low: int, allowed: str) -> tuple[str, int]:
    """A size such as 768MB or 2GiB: the text as given (DuckDB reads it) and its bytes."""
    text = (env.get(name) or default).strip()
    match = SIZE.match(text)
    if not match:
        raise SettingsError(f"{name}={text!r} is not valid: expected {allowed}.")
    size = int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])
    if size < low:
        raise SettingsError(f"{name}={text!r} is too small: expected {allowed}.")
    return text, size


def _api_url(env: Mapping[str, str]) -> str:
    """OPENALEX_API_URL as scheme://host[:port][/path]: no credentials, query or fragment (it is logged and recorded)."""
    text = (env.get("OPENALEX_API_URL") or OPENALEX_URL).strip()
    allowed = f"an http(s) address such as {OPENALEX_URL}, without user, password, query or fragment"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SettingsError(f"OPENALEX_API_URL={text!r} is not valid: expected {allowed}.") from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password or parts.query
            or parts.fragment or CONTROL.search(text) or " " in text):
        raise SettingsError(f"OPENALEX_API_URL={text!r} is not valid: expected {allowed}.")
    host = (f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname) + (f":{port}" if port else "")
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


def _email(env: Mapping[str, str]) -> str | None:
    text = env.get("OPENALEX_EMAIL") or ""
    if not text:
        return None
    if not EMAIL.match(text):
        raise SettingsError(f"OPENALEX_EMAIL={text!r} is not valid: expected one e-mail address such as "
                            "analyst@example.org (it is sent to OpenAlex in a request header).")
    return text


def _webhook_url(env: Mapping[str, str]) -> str | None:
    """ALERTS_WEBHOOK_URL: an http(s) URL, or unset. It may carry a token, so no message repeats it."""
    text = (env.get("ALERTS_WEBHOOK_URL") or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or CONTROL.search(text) or " " in text:
        raise SettingsError("ALERTS_WEBHOOK_URL is not valid: expected an http:// or https:// URL with a host "
                            "(the value is not shown: it may hold a token).")
    return text


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
    snapshot_dir = None
    if source == "snapshot":
        if not env.get("OPENALEX_SNAPSHOT_DIR"):
            raise SettingsError("OPENALEX_SOURCE=snapshot needs OPENALEX_SNAPSHOT_DIR: the folder of an OpenAlex snapshot is not set.")
        snapshot_dir = _path(env, "OPENALEX_SNAPSHOT_DIR", "")
        if not snapshot_dir.is_dir():
            raise SettingsError(f"OPENALEX_SNAPSHOT_DIR='{snapshot_dir}' is not a folder: expected the root of an OpenAlex snapshot.")
        if not os.access(snapshot_dir, os.R_OK | os.X_OK):
            raise SettingsError(f"OPENALEX_SNAPSHOT_DIR='{snapshot_dir}' cannot be read by this user: expected a readable folder.")
    api_key = env.get("OPENALEX_API_KEY") or None
    if source == "api" and not api_key:
        raise SettingsError("OPENALEX_SOURCE=api needs OPENALEX_API_KEY: OpenAlex requires an API key (free at openalex.org).")
    if api_key and (CONTROL.search(api_key) or " " in api_key):
        raise SettingsError("OPENALEX_API_KEY is not valid: it holds spaces or control characters (the key is not shown).")
    memory, _ = _size(env, "DUCKDB_MEMORY_LIMIT", "768MB", MIN_MEMORY_LIMIT, "a size of at least 128MB, such as 768MB or 2GB")
    _, max_line = _size(env, "RAW_MAX_LINE_BYTES", "2MB", 1000, "a size of at least 1KB, such as 2MB")
    return Settings(
        source=source,
        source_reason=reason,
        snapshot_dir=snapshot_dir,
        api_key=api_key,
        email=_email(env),
        raw_dir=_path(env, "RAW_DIR", "raw"),
        warehouse_path=_path(env, "WAREHOUSE_PATH", "warehouse/openalex.duckdb", file=True),
        demo_works=_number(env, "DEMO_WORKS", "20000", int, 1, None, "a whole number of works, at least 1"),
        demo_seed=_number(env, "DEMO_SEED", "2023", int, 0, None, "a whole number, 0 or more"),
        demo_release=_number(env, "DEMO_RELEASE", "1", int, 1, 2, "1 (the demo snapshot) or 2 (with its later partition)"),
        quarantine_max_share=_number(env, "RAW_QUARANTINE_MAX_SHARE", "0.001", float, 0, 1, "a share between 0 and 1"),
        memory_limit=memory,
        full_refresh=_switch(env, "WAREHOUSE_FULL_REFRESH"),
        publish_max_shrink=_number(env, "PUBLISH_MAX_SHRINK", "0.2", float, 0, 1, "a share between 0 and 1"),
        publish_allow_shrink=_switch(env, "PUBLISH_ALLOW_SHRINK"),
        raw_max_line_bytes=max_line,
        api_url=_api_url(env),
        dbt_target=env.get("DBT_TARGET_PATH") or None,
        watchlist_path=_path(env, "WATCHLIST_PATH", "watchlist.yml", file=True),
        alerts_webhook_url=_webhook_url(env),
    )
