#!/usr/bin/env bash
# Render the study report in headless Chromium and save a PNG, to look at the page as a reader would.
# Usage: scripts/screenshot_report.sh [report.html] [out.png]   (Debian: apt-get install -y chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
warehouse="${WAREHOUSE_PATH:-warehouse/openalex.duckdb}"
report="${1:-$(dirname "$warehouse")/report/index.html}"
out="${2:-$(dirname "$report")/screenshot.png}"
chromium="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$chromium" ]]; then
    echo "chromium not found: apt-get install -y chromium" >&2
    exit 2
fi
if [[ ! -f "$report" ]]; then
    echo "no report at $report: run \`make run\` or \`make report\` first" >&2
    exit 2
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# No network: the page needs none, and these flags stop Chromium's own background connections.
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --window-size="${WINDOW_SIZE:-1280,7200}" \
    --screenshot="$(realpath -m "$out")" "file://$(realpath "$report")" 2>/dev/null
echo "$out"
