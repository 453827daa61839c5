#!/usr/bin/env bash
# bench_openloop.sh - the hub's push latency under an open-loop load
# (issue 14): a fixed offered rate of record states from C clients in
# batches of 100 (tests/tools/loadgen.c --mode openloop), each request
# timed from when it was due, not from when it could be sent, so a hub
# that falls behind shows its backlog (no coordinated omission).
#
# usage: tests/bench/bench_openloop.sh [BUILD_DIR] [RATE] [CLIENTS] [SECONDS]
#        (defaults: build-release, 20000 records/s, 50 clients, 10 s; the
#        build must have been made, e.g. by tests/bench/run.sh)
# Each device makes one request first (binding its token), untimed.
# Prints loadgen's line (offered and achieved records/s, p50/p90/p99/max
# push latency in ms) and the hub's CPU seconds and peak RSS over the run.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build-release}
rate=${2:-20000}
clients=${3:-50}
secs=${4:-10}
hub=$build/daemon/hub/sambang-hub
loadgen=$build/tests/tools/loadgen
for b in "$hub" "$loadgen"; do
  [ -x "$b" ] || { echo "bench_openloop.sh: $b is missing (build first)" >&2; exit 1; }
done

work=$(mktemp -d)
hub_pid=
cleanup() {
  [ -z "$hub_pid" ] || kill -KILL "$hub_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export SAMBANG_HUB_DB=$work/hub.db
"$hub" init >/dev/null
for i in $(seq 1 "$clients"); do
  printf '%s %016x\n' "$("$hub" device add "ol-$i" --scope all)" \
    $((0x5a000000 + i)) >>"$work/tokens"
done
exec 3< <(exec "$hub" serve --listen 127.0.0.1:0 2>"$work/hub.log")
hub_pid=$!
read -r line <&3
port=${line##*:}

# The devices are in use already, as in the field: each one's first
# request binds its token to its replica id (a write of its own, once per
# device), which is enrolment, not the push path measured here.
while read -r token replica; do
  curl -sf -o /dev/null -H "Authorization: Bearer $token" \
    -H "Sambang-Replica: $replica" "http://127.0.0.1:$port/v1/changes?since=0&limit=1" ||
    { echo "bench_openloop.sh: a device's first request failed" >&2; exit 1; }
done <"$work/tokens"

ticks() { sed 's/.*) //' "/proc/$hub_pid/stat" | awk '{print $12 + $13}'; }
c0=$(ticks)
rc=0
"$loadgen" --target "127.0.0.1:$port" --mode openloop --tokens "$work/tokens" \
  --rate "$rate" --conns "$clients" --batch 100 --duration "$secs" || rc=$?
c1=$(ticks)
echo "hub: $(awk "BEGIN{printf \"%.2f\", ($c1 - $c0) / $(getconf CLK_TCK)}") CPU-s" \
  "over the run, peak RSS $(awk '/^VmHWM/ {print $2}' "/proc/$hub_pid/status") kB;" \
  "goal: p99 < 50 ms at 20,000 records/s offered from 50 clients"
[ "$rc" -eq 0 ] || { echo "bench_openloop.sh: some pushes failed (hub log:)" >&2; tail -5 "$work/hub.log" >&2; }
exit "$rc"
