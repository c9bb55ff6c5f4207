#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the pinned tools the tests run for
# real (scripts/install-tools.sh: Helm 3.18.0 and 4.1.4, kubectl, kubernetes-validate),
# then runs every test. Snapshots are never written: a changed or new snapshot fails
# (review with `cargo insta review`, or run with INSTA_UPDATE=always to accept).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-tools.sh
export INSTA_UPDATE="${INSTA_UPDATE:-no}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked "$@" 2>&1 | tee "$log" || status=$?
# One closing line over all test binaries.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
