#!/usr/bin/env bash
# Screenshot of a `fabchart report` page in headless Chromium, offline and with a fresh
# profile, as tests/report.rs takes them (and as docs/report-*.png were made):
#   scripts/report/screenshot.sh REPORT.html OUT.png [WIDTH,HEIGHT]   (default 1400,1800)
# Chromium comes from Debian's `chromium` package (scripts/install-tools.sh). It exits
# when the page has loaded and the PNG is written: no wait or timeout is involved.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 REPORT.html OUT.png [WIDTH,HEIGHT]" >&2; exit 2; }
html="$(realpath "$1")" png="$(realpath -m "$2")" size="${3:-1400,1800}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
[[ -x $chromium ]] || { echo "$chromium is missing: run scripts/install-tools.sh (Debian package chromium)" >&2; exit 1; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" --window-size="$size" \
  --screenshot="$png" "file://$html" 2>/dev/null
echo "wrote $png"
