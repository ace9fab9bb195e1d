#!/usr/bin/env bash
# `make superset`: install and initialise Superset if needed, start it on 127.0.0.1, connect it to the published
# warehouse (read-only) with a dataset per mart, and keep serving until Ctrl-C.
#   env: SUPERSET_PORT (8088), WAREHOUSE_PATH (warehouse/openalex.duckdb), SUPERSET_HOME (warehouse/superset),
#        SUPERSET_ADMIN_USER (admin), SUPERSET_ADMIN_PASSWORD (on first setup; see setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="${SUPERSET_VENV:-$ROOT/.venv-superset}"
PORT="${SUPERSET_PORT:-8088}"
WAREHOUSE="$(realpath -m "${WAREHOUSE_PATH:-warehouse/openalex.duckdb}")"
export SUPERSET_HOME="$(realpath -m "${SUPERSET_HOME:-$ROOT/warehouse/superset}")"
export SUPERSET_CONFIG_PATH="$ROOT/superset/superset_config.py"
export DO_NOT_TRACK=1

if [[ ! -f "$WAREHOUSE" ]]; then
    echo "No published warehouse at $WAREHOUSE: run \`make run\` first." >&2
    exit 1
fi
superset/setup.sh
# Superset runs from its home folder: the repository's superset/ folder must not shadow the superset package.
cd "$SUPERSET_HOME"
"$VENV/bin/gunicorn" --bind "127.0.0.1:$PORT" --workers 1 --worker-class gthread --threads 8 --timeout 120 \
    --access-logfile - --error-logfile - "superset.app:create_app()" >"$SUPERSET_HOME/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
"$VENV/bin/python" "$ROOT/superset/provision.py" --url "http://127.0.0.1:$PORT" --warehouse "$WAREHOUSE"
if [[ -n "${SUPERSET_ADMIN_PASSWORD:-}" ]]; then
    password_from="SUPERSET_ADMIN_PASSWORD"
else
    password_from="$SUPERSET_HOME/admin_password"
fi
cat <<MSG

Superset: http://127.0.0.1:$PORT  (user ${SUPERSET_ADMIN_USER:-admin}, password in $password_from)
Database "EU-CN AI warehouse (read-only)" -> $WAREHOUSE, one dataset per mart (schema marts); the connection reads
that file and nothing else (no file access, no extensions, settings locked).
Runs republish the file by rename; Superset opens it afresh for each query. Log: $SUPERSET_HOME/server.log
Ctrl-C to stop.
MSG
wait $server
