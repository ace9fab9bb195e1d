"""Superset configuration for the warehouse's local BI server (read by Superset via SUPERSET_CONFIG_PATH).

Everything Superset keeps (its metadata database, the secret key, the admin password) lives in SUPERSET_HOME, by
default warehouse/superset/, never in the repository. The server listens on 127.0.0.1 only. Its DuckDB connections
to the warehouse read the published file and nothing else (provision.py's SERVING_CONNECT_ARGS and lock_down).
"""

import importlib.util
import os
import secrets
from pathlib import Path

import duckdb_engine
from sqlalchemy import event
from sqlalchemy.pool import Pool

SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME") or Path(__file__).resolve().parent.parent / "warehouse" / "superset")
SUPERSET_HOME.mkdir(parents=True, exist_ok=True)
DATA_DIR = str(SUPERSET_HOME)


def _secret_key() -> str:
    """SUPERSET_SECRET_KEY, or a random key kept in SUPERSET_HOME (stable across restarts, never committed)."""
    if os.environ.get("SUPERSET_SECRET_KEY"):
        return os.environ["SUPERSET_SECRET_KEY"]
    path = SUPERSET_HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(42))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{SUPERSET_HOME / 'superset.db'}?check_same_thread=false"

# Superset's own caches (metadata, thumbnails) may be cached; query results are not, so a query always reads the
# warehouse as currently published (each query opens the DuckDB file afresh: analytics engines use NullPool).
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300, "CACHE_KEY_PREFIX": "superset_"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

# A local, single-user server on 127.0.0.1: no HTTPS, so no Talisman headers; login rate limiting stays on.
TALISMAN_ENABLED = False
RATELIMIT_STORAGE_URI = "memory://"
SESSION_COOKIE_SAMESITE = "Lax"

# SQL Lab runs queries in the web process (no Celery here).
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120
SQL_MAX_ROW = 100_000

FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": False}


def _provision_module():
    """superset/provision.py, beside this file (Superset loads this config by path, not as a package)."""
    spec = importlib.util.spec_from_file_location("warehouse_superset_provision", Path(__file__).resolve().with_name("provision.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_lock_down = _provision_module().lock_down


@event.listens_for(Pool, "connect")
def _close_local_files(dbapi_connection, _connection_record) -> None:
    """Every new DuckDB connection opened with external access off (the warehouse's: provision.py's
    SERVING_CONNECT_ARGS) also has its local file system closed before it runs a query (see CLOSE_LOCAL_FILES).
    A failure here fails the connection, so no query runs on a connection left half locked."""
    if isinstance(dbapi_connection, duckdb_engine.ConnectionWrapper):
        _lock_down(dbapi_connection)
