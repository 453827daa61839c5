#!/usr/bin/env bash
# The system units' sandbox: `systemd-analyze security --offline=yes`
# rates the hub's units and sambangd's system template at most 2.0 ("OK").
# Usage: test_security.sh UNIT_DIR (the configured units of the build).
set -euo pipefail
dir=$1
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"
  exit 77
fi
max=2.0
rc=0
for unit in sambang-hub.service sambang-hub-compact.service sambangd@.service; do
  out=$(systemd-analyze security --offline=yes --no-pager "$dir/$unit" 2>&1) || true
  level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
  if [ -z "$level" ]; then
    echo "FAIL: no exposure level for $unit:" >&2
    echo "$out" >&2
    rc=1
    continue
  fi
  echo "$unit: exposure $level (at most $max)"
  if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
    echo "FAIL: $unit is rated $level, above $max; what is open:" >&2
    grep '✗' <<<"$out" >&2 || true
    rc=1
  fi
done
exit $rc
