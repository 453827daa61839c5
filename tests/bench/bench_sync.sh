#!/usr/bin/env bash
# bench_sync.sh - the field daemon's figures, with the real binaries on
# loopback (called by run.sh; usage: bench_sync.sh BUILD_DIR WORKDIR [N]).
#
#   cold start:  a fresh device pulls N records (default 100,000 visits of
#                ~400 bytes) with `sambang sync --once`; records/s against
#                plain SQLite inserting the same rows in one transaction
#                (the floor, measured in the same run), and against plain
#                SQLite inserting the rows the device stored (floor 2).
#   resume:      a cold start killed (-9) part-way, then run again: how many
#                records the second run pulled (fewer than N: it resumed).
#   propagation: two devices with sambangd running; median and p99 time
#                from `sambang put` on one to the record being readable in
#                the other's store (200 puts).
#   idle:        an idle, online daemon (long-polling): RSS, and wakeups
#                (context switches) per minute over 30 s.
#   wire:        bytes of request/reply bodies on the wire (gzip) per record
#                pushed and pulled, against the records' JSON.
set -euo pipefail
build=$1
work=$2
n=${3:-100000}
hub=$build/daemon/hub/sambang-hub
sambang=$build/client/sambang
sambangd=$build/daemon/sambangd/sambangd
tool=$build/tests/bench/bench_sync_tool

export SAMBANG_HUB_DB=$work/hub.db
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
dev() {
  local d=$1
  shift
  "$sambang" --db "$work/$d.db" "$@"
}
enrol() {
  dev "$1" init --server "$url" --token "$("$hub" device add "$1" --scope all)" >/dev/null
}
json_num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

"$hub" init >/dev/null
exec 3< <(exec "$hub" serve --listen 127.0.0.1:0 2>"$work/hub.log")
pids+=($!)
read -r line <&3
url=http://127.0.0.1:${line##*:}

# The source device pushes N records to the hub.
"$tool" rows "$n" "$work/rows.jsonl"
enrol src
dev src import "$work/rows.jsonl" >/dev/null
t0=$(now_ms)
dev src --json sync --once >"$work/push.json"
t1=$(now_ms)
echo "push of $n records by one device (sync --once): $(((t1 - t0))) ms," \
  "$((n * 1000 / (t1 - t0 + 1))) records/s"

floor=$("$tool" floor "$n" "$work")
echo "floor: plain SQLite inserts $n rows in one transaction: $floor rows/s"

enrol fresh
t0=$(now_ms)
dev fresh --json sync --once >"$work/pull.json"
t1=$(now_ms)
rate=$((n * 1000 / (t1 - t0 + 1)))
echo "cold start: a fresh device pulls $n records in $((t1 - t0)) ms:" \
  "$rate records/s = $(awk "BEGIN{printf \"%.2f\", $rate/$floor}") of the floor" \
  "(goal: >= 100,000 records/s)"
# The floor above inserts ~400 bytes of fields into a table of one index;
# the device stores each record's state (its fields with their dots and
# times, its version vector: ~1 KB) in a table of several indexes. The
# same rows, inserted by plain SQLite into the same schema:
rows_floor=$("$tool" floor-rows "$work/fresh.db" "$work")
echo "floor 2: plain SQLite inserts the $n rows the device stored, into a" \
  "table of the store's schema, in one transaction: $rows_floor rows/s;" \
  "the cold start = $(awk "BEGIN{printf \"%.2f\", $rate/$rows_floor}") of it"

# Resume: kill -9 part-way (once a third is stored), run again.
enrol resume
"$sambang" --db "$work/resume.db" sync --once >/dev/null 2>&1 &
pid=$!
third=$((n / 3))
while kill -0 "$pid" 2>/dev/null; do
  got=$(sqlite3 "$work/resume.db" "SELECT count(*) FROM records" 2>/dev/null || echo 0)
  [ "${got:-0}" -ge "$third" ] && break
  sleep 0.01
done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
before=$(sqlite3 "$work/resume.db" "SELECT count(*) FROM records")
dev resume sync --once >"$work/out"
pulled=$(sed -n 's/.*pulled \([0-9]*\).*/\1/p' "$work/out")
echo "resume: killed with $before of $n records stored; the rerun pulled" \
  "$pulled (a restart from zero would pull $n)"

# Propagation between two online daemons.
enrol pa
enrol pb
"$sambangd" --db "$work/pa.db" 2>"$work/pa.log" &
pids+=($!)
"$sambangd" --db "$work/pb.db" 2>"$work/pb.log" &
pids+=($!)
pb_pid=$!
until [ -S "$work/pa.db.sock" ] && [ -S "$work/pb.db.sock" ]; do sleep 0.01; done
# Both are up to date (they pulled the N records) before timing.
until dev pa status | grep -q 'listening'; do sleep 0.1; done
until dev pb status | grep -q 'listening'; do sleep 0.1; done
read -r p50 p99 < <("$tool" propagate "$sambang" "$work/pa.db" "$work/pb.db" 200)
echo "propagation put -> readable on the other device: median $p50 ms," \
  "p99 $p99 ms (goal: median < 100 ms)"

# Idle: pb is online and long-polling; nothing happens for 30 s.
ctx() {
  awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s}' \
    "/proc/$pb_pid/status"
}
c0=$(ctx)
sleep 30
c1=$(ctx)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pb_pid/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pb_pid/status")
echo "idle daemon (after its cold start of $n records): RSS $rss kB, of which" \
  "$anon kB private (the rest: shared library pages) (goal < 8 MB);" \
  "$(((c1 - c0) * 2)) wakeups/minute"

# Bytes on the wire per record: request/reply bodies after gzip, against
# the same bodies as JSON (a record's state is ~1 KB of JSON: its ~400
# bytes of fields plus each field's dot and timestamp).
per() { # per FILE_OR_JSON KEY COUNT
  echo $(($(json_num "$2" <<<"$1") / ($3 > 0 ? $3 : 1)))
}
push_json=$(cat "$work/push.json")
pull_json=$(cat "$work/pull.json")
echo "wire, bulk push ($n records, batches of 500): $(per "$push_json" wire_up "$n")" \
  "B/record sent gzip'd vs $(per "$push_json" json_up "$n") B as JSON"
echo "wire, bulk pull ($n records, pages of 1000): $(per "$pull_json" wire_down "$n")" \
  "B/record received gzip'd vs $(per "$pull_json" json_down "$n") B as JSON"
pa_json=$(dev pa --json status)
echo "wire, one record per push (200 puts on pa): $(per "$pa_json" wire_up 200)" \
  "B/record vs $(per "$pa_json" json_up 200) B as JSON"
