#!/usr/bin/env bash
# fleet-test: FLEET_KIOSKS simulated kiosks (default 200, the real uploader,
# each with its own client certificate and outbox) × FLEET_PACKAGES packages
# (default 25) of ~300 KB, through a load balancer to two head-office
# processes over one throwaway PostgreSQL, one killed -9 and restarted a
# third of the way in, PostgreSQL crashed and restarted at two thirds;
# then the same outboxes to one head office on the file store, killed -9
# and restarted. One line each; exit 1 on any loss or duplicate
# (docs/BENCHMARKS.md, docs/HEADOFFICE.md).
# Usage: scripts/fleet-test.sh (make fleet-test builds first).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/signkiosk}
GO=${GO:-go}
log=$(mktemp); trap 'rm -f "$log"' EXIT
if FLEET_BIN="$PWD/$BIN" "$GO" test -tags no_emoji -count=1 -timeout 40m -run '^TestFleet$' -v ./sync/fleettest/ >"$log" 2>&1; then
  grep '^fleet:' "$log"
else
  grep '^fleet:' "$log" || true
  echo "fleet-test: FAILED" >&2
  grep -v '^=== \|^PASS\|^ok ' "$log" | head -60 >&2
  exit 1
fi
