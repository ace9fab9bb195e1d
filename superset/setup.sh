#!/usr/bin/env bash
# Install Superset in its own virtualenv (.venv-superset) and initialise its metadata database.
# Idempotent: a second call only checks. Used by `make superset` and `make superset-test`.
#   superset/setup.sh --install-only   installs the virtualenv and stops there
#   env: SUPERSET_HOME (default warehouse/superset), SUPERSET_ADMIN_USER (default admin), SUPERSET_ADMIN_PASSWORD
# The admin password: SUPERSET_ADMIN_PASSWORD if set, else asked on a terminal, else generated and printed once; it
# is kept in $SUPERSET_HOME/admin_password (mode 600), where serve.sh and provision.py read it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
VENV="${SUPERSET_VENV:-$ROOT/.venv-superset}"
PYTHON="${PYTHON:-python3.11}"
UV_VERSION="${UV_VERSION:-0.9.30}"
export SUPERSET_HOME="$(realpath -m "${SUPERSET_HOME:-$ROOT/warehouse/superset}")"
export SUPERSET_CONFIG_PATH="$ROOT/superset/superset_config.py"
export FLASK_APP=superset SUPERSET_LOAD_EXAMPLES=no DO_NOT_TRACK=1

stamp="$VENV/.installed"
if [[ ! -f "$stamp" || superset/requirements.txt -nt "$stamp" || superset/constraints.txt -nt "$stamp" ]]; then
    echo "Installing Superset into $VENV (pinned: superset/requirements.txt, superset/constraints.txt)"
    [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
    "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -r superset/requirements.txt -c superset/constraints.txt
    echo "*" > "$VENV/.gitignore"  # keep the virtualenv out of git status
    touch "$stamp"
fi
[[ "${1:-}" == "--install-only" ]] && exit 0

mkdir -p "$SUPERSET_HOME"
admin_user="${SUPERSET_ADMIN_USER:-admin}"
password_file="$SUPERSET_HOME/admin_password"
cd "$SUPERSET_HOME"  # the repository's superset/ folder must not shadow the superset package
# The password reaches Superset's CLI through its environment (Flask's FLASK_<COMMAND>_<OPTION>), never through a
# command line, which every user of the machine can list.
if [[ ! -f "$SUPERSET_HOME/.initialised" ]]; then
    echo "Initialising Superset's metadata database in $SUPERSET_HOME"
    "$VENV/bin/python" "$ROOT/superset/provision.py" --init-admin-password
    "$VENV/bin/superset" db upgrade >"$SUPERSET_HOME/init.log" 2>&1
    FLASK_FAB_CREATE_ADMIN_PASSWORD="$(<"$password_file")" "$VENV/bin/superset" fab create-admin --username "$admin_user" \
        --firstname Warehouse --lastname Analyst --email analyst@localhost >>"$SUPERSET_HOME/init.log" 2>&1
    "$VENV/bin/superset" init >>"$SUPERSET_HOME/init.log" 2>&1
    touch "$SUPERSET_HOME/.initialised"
elif [[ ! -f "$password_file" ]]; then
    # Set up before the admin password was kept here, i.e. with the former default one: replace it.
    echo "Superset in $SUPERSET_HOME has no admin password file: giving user $admin_user a new password"
    "$VENV/bin/python" "$ROOT/superset/provision.py" --init-admin-password
    FLASK_FAB_RESET_PASSWORD_PASSWORD="$(<"$password_file")" "$VENV/bin/superset" fab reset-password \
        --username "$admin_user" >>"$SUPERSET_HOME/init.log" 2>&1
fi
echo "Superset ready: $VENV, metadata in $SUPERSET_HOME"
