"""Connect a running Superset to the published warehouse, through its REST API: one locked-down, read-only DuckDB
database connection and one dataset per mart (figure_works described as the drill from a figure to its works).
Idempotent (a second call updates, never duplicates).

Standard library only, so the pipeline's tests can import the client without Superset installed:

    python superset/provision.py --url http://127.0.0.1:8088 --warehouse warehouse/openalex.duckdb
    python superset/provision.py --query "select count(*) from marts.headline_figures"
    python superset/provision.py --init-admin-password   # setup.sh, on first setup

It logs in as SUPERSET_ADMIN_USER (default admin) with SUPERSET_ADMIN_PASSWORD or, without it, the password kept in
$SUPERSET_HOME/admin_password.
"""

from __future__ import annotations

import argparse
import getpass
import http.cookiejar
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "EU-CN AI warehouse (read-only)"

# How the serving connection opens the published file: duckdb-engine passes these to duckdb.connect(). SQL Lab runs
# whatever its users type, so the connection may touch no file but the warehouse itself.
SERVING_CONNECT_ARGS = {
    # Shares the file with every other reader; never blocks (nor is blocked by) a run, which replaces it by rename.
    "read_only": True,
    "config": {
        # No file or URL but the opened database: read_text/read_csv/glob, COPY ... TO, EXPORT DATABASE, ATTACH,
        # INSTALL and LOAD of extensions all fail. DuckDB refuses to turn it back on while the database is open.
        "enable_external_access": False,
        # No spill folder: external access would leave one writable beside the release (big queries fail instead).
        "temp_directory": "",
        # No SET can change a setting afterwards (memory, threads, profiling or log output files, the above)...
        "lock_configuration": True,
        # ...except disabled_filesystems, which only ever closes more (DuckDB never reopens a disabled file system).
        "allowed_configs": ["disabled_filesystems"],
    },
}
# Run on each connection once the file is open (lock_down; Superset does it from superset_config.py): even with
# external access off, DuckDB keeps the files beside an open database (its WAL) writable to SQL, and a WAL written
# beside the published file would be replayed by every reader. Closing the local file system leaves the open file
# readable and nothing else.
CLOSE_LOCAL_FILES = "SET disabled_filesystems = 'LocalFileSystem'"

EXTRA = {"engine_params": {"connect_args": SERVING_CONNECT_ARGS}, "allows_virtual_table_explore": True}

# Datasets described for their use. marts.figure_works is the bridge from a figure to its works: a chart of its rows
# counted by metric, scope and period shows the headline counts of works (the dbt test
# assert_figure_works_reproduce_figures holds them equal), and "Drill to detail" on one lists that figure's works.
DATASET_DESCRIPTIONS = {
    "figure_works": (
        "The works behind each headline figure that counts works: one row per figure (metric, scope, period) x work, "
        "with its title, DOI and why it counts (reason, risk_reasons_text, funder_names). COUNT(*) by metric, scope "
        "and period is the figure; drill to detail for its works. A share's works are its parts' (figure_parts)."
    ),
    "figure_parts": "Each share of headline_figures with its numerator's and denominator's figure keys and values.",
}

PASSWORD_FILE = "admin_password"
MIN_PASSWORD_LENGTH = 12


class SupersetError(RuntimeError):
    pass


def lock_down(connection) -> None:
    """Close the local file system of a DuckDB connection opened with SERVING_CONNECT_ARGS (external access off).

    Takes a DuckDB connection or duckdb-engine's wrapper of one. Connections opened without the lockdown (external
    access on) are left as they are, so other DuckDB databases added to the same Superset keep working."""
    (external_access,) = connection.execute("select current_setting('enable_external_access')").fetchone()
    if not external_access:
        connection.execute(CLOSE_LOCAL_FILES)


# --- the admin password --------------------------------------------------------------------------------------------


def superset_home() -> Path:
    return Path(os.environ.get("SUPERSET_HOME") or ROOT / "warehouse" / "superset")


def ensure_admin_password(home: Path, given: str | None = None, ask=None) -> tuple[str, str]:
    """The admin password kept in `home`/admin_password (mode 600), created only if that file does not exist yet:
    `given` (SUPERSET_ADMIN_PASSWORD), else what `ask()` answers (None: generate), else a generated one.
    Returns the password and where it came from: "kept" (the file existed), "given", "asked" or "generated".
    An existing file is never replaced."""
    path = home / PASSWORD_FILE
    if path.exists():
        return read_password_file(path), "kept"
    if given:
        password, source = given, "given"
    elif ask is not None and (asked := ask()):
        password, source = asked, "asked"
    else:
        password, source = secrets.token_urlsafe(18), "generated"  # 144 random bits
    home.mkdir(parents=True, exist_ok=True)
    # O_EXCL: a file created meanwhile is not replaced; fchmod: exactly 600 whatever the umask, before a byte is written.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(password + "\n")
    return password, source


def read_password_file(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a copy put there by hand: no one else may read it
    password = path.read_text().strip()
    if not password:
        raise SupersetError(f"{path} is empty: delete it and run superset/setup.sh again")
    return password


def admin_password(home: Path | None = None) -> str:
    """SUPERSET_ADMIN_PASSWORD if set, else the password setup.sh kept in SUPERSET_HOME."""
    if os.environ.get("SUPERSET_ADMIN_PASSWORD"):
        return os.environ["SUPERSET_ADMIN_PASSWORD"]
    path = (home or superset_home()) / PASSWORD_FILE
    if not path.exists():
        raise SupersetError(f"no admin password in {path}: run superset/setup.sh (or set SUPERSET_ADMIN_PASSWORD)")
    return read_password_file(path)


def ask_password() -> str | None:
    """Ask on the terminal, twice; an empty answer means: generate one."""
    while True:
        first = getpass.getpass("Choose Superset's admin password (Enter: generate one): ")
        if not first:
            return None
        if len(first) < MIN_PASSWORD_LENGTH:
            print(f"At least {MIN_PASSWORD_LENGTH} characters, please.")
        elif getpass.getpass("Again: ") == first:
            return first
        else:
            print("The two differ; once more.")


def init_admin_password() -> int:
    home = superset_home()
    ask = ask_password if sys.stdin.isatty() else None
    password, source = ensure_admin_password(home, os.environ.get("SUPERSET_ADMIN_PASSWORD"), ask)
    path = home / PASSWORD_FILE
    if source == "generated":
        print(f"Superset admin password (shown this once; kept in {path}, mode 600): {password}")
    else:
        print(f"Superset admin password: kept in {path}" + (" (mode 600)" if source != "kept" else ""))
    return 0


class SupersetClient:
    """A logged-in session on Superset's REST API (JWT bearer token plus the CSRF token for writes)."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 120):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token: str | None = None
        self.csrf: str | None = None
        self.username, self.password = username, password

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None) -> dict:
        url = self.url + path
        if query is not None:
            url += "?q=" + urllib.parse.quote(rison(query))
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if self.csrf:
            req.add_header("X-CSRFToken", self.csrf)
            req.add_header("Referer", self.url)
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as exc:
            raise SupersetError(f"{method} {path}: HTTP {exc.code}: {exc.read().decode()[:500]}") from exc
        return json.loads(text) if text else {}

    def login(self) -> SupersetClient:
        self.token = self.request("POST", "/api/v1/security/login", {
            "username": self.username, "password": self.password, "provider": "db", "refresh": True,
        })["access_token"]
        self.csrf = self.request("GET", "/api/v1/security/csrf_token/")["result"]
        return self

    # --- objects ------------------------------------------------------------------------------------------

    def database_id(self, name: str = DATABASE_NAME) -> int | None:
        result = self.request("GET", "/api/v1/database/", query={"page_size": 100, "columns": ["id", "database_name"]})["result"]
        return next((d["id"] for d in result if d["database_name"] == name), None)

    def ensure_database(self, warehouse: Path, name: str = DATABASE_NAME) -> int:
        body = {
            "database_name": name,
            "sqlalchemy_uri": f"duckdb:///{Path(warehouse).resolve()}",
            "extra": json.dumps(EXTRA),
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_dml": False,
            "allow_file_upload": False,
        }
        existing = self.database_id(name)
        if existing is None:
            return int(self.request("POST", "/api/v1/database/", body)["id"])
        self.request("PUT", f"/api/v1/database/{existing}", body)
        return existing

    def tables(self, database_id: int, schema: str) -> list[str]:
        result = self.request("GET", f"/api/v1/database/{database_id}/tables/", query={"schema_name": schema, "force": True})["result"]
        return sorted(t["value"] for t in result if t.get("type") in ("table", "view", None))

    def datasets(self, database_id: int) -> dict[tuple[str, str], int]:
        found, page = {}, 0
        while True:
            result = self.request("GET", "/api/v1/dataset/", query={
                "page": page, "page_size": 100, "columns": ["id", "table_name", "schema", "database.id"],
            })["result"]
            for d in result:
                if (d.get("database") or {}).get("id") == database_id:
                    found[(d["schema"], d["table_name"])] = d["id"]
            if len(result) < 100:
                return found
            page += 1

    def ensure_datasets(self, database_id: int, schema: str = "marts") -> dict[str, int]:
        existing = self.datasets(database_id)
        out = {}
        for table in self.tables(database_id, schema):
            if (schema, table) in existing:
                dataset_id = existing[(schema, table)]
                self.request("PUT", f"/api/v1/dataset/{dataset_id}/refresh")  # pick up new columns
            else:
                dataset_id = int(self.request("POST", "/api/v1/dataset/", {
                    "database": database_id, "schema": schema, "table_name": table,
                })["id"])
            if table in DATASET_DESCRIPTIONS:
                self.request("PUT", f"/api/v1/dataset/{dataset_id}", {"description": DATASET_DESCRIPTIONS[table]})
            out[table] = dataset_id
        missing = [t for t in DATASET_DESCRIPTIONS if t not in out] if schema == "marts" else []
        if missing:
            raise SupersetError(f"The warehouse has no marts.{', marts.'.join(missing)}: it was built before the works "
                                "behind the figures were kept; rebuild it with `make run`.")
        return out

    def sql(self, database_id: int, sql: str, schema: str = "marts") -> dict:
        """Run SQL through SQL Lab (synchronously) and return its JSON answer (`data`, `columns`, `status`)."""
        answer = self.request("POST", "/api/v1/sqllab/execute/", {
            "database_id": database_id, "sql": sql, "schema": schema, "runAsync": False,
            "client_id": secrets.token_hex(5)[:10], "expand_data": True, "queryLimit": 10_000,
        })
        if answer.get("status") != "success":
            raise SupersetError(f"SQL Lab: {answer.get('status')}: {answer.get('error') or answer}")
        return answer


def rison(value) -> str:
    """Encode a value in Rison, the URL notation of Superset's `q=` parameters."""
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if value is None:
        return "!n"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if value and all(c.isalnum() or c in "-_./~" for c in value) and not value[0].isdigit() and value[0] != "-":
            return value
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, (list, tuple)):
        return "!(" + ",".join(rison(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{rison(k)}:{rison(v)}" for k, v in value.items()) + ")"
    raise TypeError(f"cannot encode {type(value)} in Rison")


def wait_until_up(url: str, timeout: float = 180, proc=None) -> float:
    """Poll /health until Superset answers; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc is not None and proc.poll() is not None:
            raise SupersetError(f"Superset exited with code {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=5) as resp:
                if resp.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise SupersetError(f"Superset did not answer on {url} within {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SUPERSET_URL", "http://127.0.0.1:8088"))
    parser.add_argument("--warehouse", default=os.environ.get("WAREHOUSE_PATH", "warehouse/openalex.duckdb"))
    parser.add_argument("--user", default=os.environ.get("SUPERSET_ADMIN_USER", "admin"))
    parser.add_argument("--query", help="run this SQL through SQL Lab instead of provisioning, and print the rows")
    parser.add_argument("--init-admin-password", action="store_true",
                        help="create $SUPERSET_HOME/admin_password if missing (SUPERSET_ADMIN_PASSWORD, else asked on a "
                             "terminal, else generated and printed once), then stop")
    args = parser.parse_args()
    if args.init_admin_password:
        return init_admin_password()
    try:
        password = admin_password()
    except SupersetError as exc:
        print(exc, file=sys.stderr)
        return 1
    wait_until_up(args.url)
    client = SupersetClient(args.url, args.user, password).login()
    if args.query:
        db = client.database_id()
        if db is None:
            print("no warehouse database in Superset yet: run without --query first", file=sys.stderr)
            return 1
        for row in client.sql(db, args.query)["data"]:
            print(json.dumps(row, default=str))
        return 0
    warehouse = Path(args.warehouse)
    if not warehouse.is_file():
        print(f"no published warehouse at {warehouse}: run `make run` first", file=sys.stderr)
        return 1
    db = client.ensure_database(warehouse)
    datasets = client.ensure_datasets(db, "marts")
    print(json.dumps({"database_id": db, "warehouse": str(warehouse.resolve()), "datasets": datasets}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
