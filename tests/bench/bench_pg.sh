#!/usr/bin/env bash
# bench_pg.sh - push and pull records/s of the hub on PostgreSQL with 1 and
# with 3 hubs on one database, against 1 hub on SQLite, in the same run
# (issue 13). 50 clients (tests/bench/bench_pg_tool.c: one device each,
# client i on hub i % hubs), batches of 500 visits of ~400 bytes; then
# each client pulls the whole feed. PostgreSQL is a throwaway cluster
# (tests/pg/lib.sh; fsync off, as in the tests: the figures are the
# hubs' and the database's work, not the disk's).
# usage: bench_pg.sh [BUILD_DIR] [BATCHES]   (defaults: build-release, 200)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-release}
batches=${2:-200}
clients=50
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 >/dev/null
fi
hub=$build/daemon/hub/sambang-hub
tool=$build/tests/bench/bench_pg_tool
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-pg.XXXXXX")
. "$top/tests/pg/lib.sh"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pg_cleanup
  rm -rf "$WORK"
}
trap cleanup EXIT

# serve I: starts hub I on a free port; its URL into urls[I].
serve() {
  local i=$1 n=0
  "$hub" serve --listen 127.0.0.1:0 >"$WORK/hub$i.out" 2>"$WORK/hub$i.log" &
  pids+=($!)
  until grep -q '^listening on 127.0.0.1:' "$WORK/hub$i.out" 2>/dev/null; do
    n=$((n + 1))
    [ "$n" -lt 3000 ] || { cat "$WORK/hub$i.log" >&2; exit 1; }
    sleep 0.01
  done
  urls[$i]=http://127.0.0.1:$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/hub$i.out")
}

# run LABEL DB HUBS: a fresh store at DB, 50 devices, HUBS hubs, the tool.
run() {
  local label=$1 n=$3 i
  export SAMBANG_HUB_DB=$2
  "$hub" init >/dev/null
  : >"$WORK/tokens"
  for i in $(seq 1 "$clients"); do
    "$hub" device add "bench-$i" --scope all >>"$WORK/tokens"
  done
  urls=()
  for i in $(seq 1 "$n"); do serve "$i"; done
  echo "== $label"
  "$tool" "$WORK/tokens" "$batches" "${urls[@]}"
  for i in "${pids[@]}"; do kill -TERM "$i" 2>/dev/null || true; done
  for i in "${pids[@]}"; do wait "$i" 2>/dev/null || true; done
  pids=()
}

pg_start || { echo "cannot start PostgreSQL" >&2; exit 1; }
echo "$clients clients, $batches batches of 500 records; $(nproc) cores"
run "SQLite, 1 hub" "$WORK/hub.db" 1
run "PostgreSQL, 1 hub" "$(pg_createdb one)" 1
run "PostgreSQL, 3 hubs" "$(pg_createdb three)" 3
