#!/usr/bin/env bash
# Runs every benchmark on a Release build and prints the figures.
# usage: tests/bench/run.sh [BUILD_DIR]   (default: build-release)
# Not run from here (see tests/bench/README): tests/bench/bench_openloop.sh
# (the hub's push p99 under a fixed offered rate) and
# tests/bench/pouchdb/run.sh (side by side with PouchDB; needs node + npm).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-release}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== import (tests/bench/bench_import.c)"
"$build/tests/bench/bench_import" "$build/client/sambang" 100000 "$work"
echo "== hub (tests/bench/bench_hub.c)"
"$build/tests/bench/bench_hub" "$build/daemon/hub/sambang-hub" 100 "$work"
if [ -x "$build/tests/bench/bench_merge" ]; then
  echo "== merge (tests/bench/bench_merge.c)"
  "$build/tests/bench/bench_merge"
fi
echo "== field daemon (tests/bench/bench_sync.sh)"
bash "$top/tests/bench/bench_sync.sh" "$build" "$work" "${SYNC_RECORDS:-100000}"
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "== hubs on PostgreSQL (tests/bench/bench_pg.sh)"
  BENCH_NO_BUILD=1 bash "$top/tests/bench/bench_pg.sh" "$build" "${PG_BATCHES:-100}"
fi
echo "== scoped sync (tests/bench/bench_scope.sh)"
bash "$top/tests/bench/bench_scope.sh" "$build" "$work" "${SCOPE_RECORDS:-100000}"
