#!/usr/bin/env bash
# run.sh - sambang against PouchDB, side by side on the same machine and the
# same generated visits (issue 14). Never run by CI: it needs node and npm.
#
# usage: tests/bench/pouchdb/run.sh [BUILD_DIR]    (default: build-release,
#        configured and built as Release first unless SKIP_BUILD=1)
# env:   ROUNDS (3) N (10000) EDITS (100) CONFLICTS (1000)
#        DETAIL=1 adds each phase's server and client CPU seconds
#
# Data: N visit rows of ~500 bytes (bench_sync_tool rows: the rows every
# sambang benchmark uses, deploy/schema.json's "visit"); PouchDB stores each
# row as the document {_id, collection, ...fields}.
#
# Each round, for each system (the order alternates between rounds), on a
# fresh server and fresh client stores (two clients, A and B):
#   push       A holds the N rows (loaded untimed); A syncs to the server
#   pull       B, empty, syncs: a fresh pull of N
#   noop       B syncs again: nothing new anywhere (PouchDB's first push
#              from B still checks the N documents it pulled, by revs_diff)
#   noop2      B syncs once more: the settled no-op
#   edits      A edits EDITS records (untimed); A syncs, then B (timed: both)
#   conflicts  A and B edit the same CONFLICTS other records offline
#              (untimed); A syncs (untimed), then B (timed: B's sync)
# sambang: a real `sambang-hub serve` on a free 127.0.0.1 port, each sync a
# `sambang sync --once` process. PouchDB: server.js (express-pouchdb 4.2,
# the memory adapter), each sync a `node client.js sync` process
# (PouchDB.sync both ways, keep-alive agent, on-disk LevelDB client store).
# Both sync push and pull in every phase, as `sambang sync --once` does.
#
# Measured: wall time of each phase (process start included); CPU seconds
# (user+sys) of the server during every sync (/proc/PID/stat before and
# after each) and of every sync process (/usr/bin/time), A's untimed one of
# the conflicts phase included, loads and edits not; peak RSS of the server
# (VmHWM at the end of the round) and of the largest sync process.
# Prints one table of the medians over the rounds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
build=${1:-$top/build-release}
rounds=${ROUNDS:-3}
n=${N:-10000}
edits=${EDITS:-100}
conflicts=${CONFLICTS:-1000}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target sambang sambang-hub bench_sync_tool \
    >/dev/null
fi
hub=$build/daemon/hub/sambang-hub
sambang=$build/client/sambang
tool=$build/tests/bench/bench_sync_tool
for b in "$hub" "$sambang" "$tool" /usr/bin/time; do
  [ -x "$b" ] || { echo "run.sh: $b is missing" >&2; exit 1; }
done
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "run.sh: needs node and npm" >&2; exit 1; }

# The npm packages, pinned by package-lock.json, into this folder.
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
  [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$tool" rows "$n" "$work/rows.jsonl"
[ $((edits + conflicts)) -le "$n" ] || { echo "run.sh: N too small" >&2; exit 2; }
# outcome_of FIRST COUNT VALUE: rows FIRST.. with "outcome" set to VALUE.
outcome_of() {
  awk -v a="$1" -v b="$2" 'NR > a && NR <= a + b' "$work/rows.jsonl" |
    sed "s/\"outcome\":\"enrolled\"/\"outcome\":\"$3\"/"
}

tck=$(getconf CLK_TCK)
# Microseconds from bash itself: `date` would add a fork and an exec
# (~5 ms here) to every timed sync, of either system.
now_us() { printf -v "$1" '%s' "${EPOCHREALTIME/./}"; }
server_ticks() { sed 's/.*) //' "/proc/$server_pid/stat" | awk '{print $12 + $13}'; }

# Per round and system: the phase's wall ms, and the sums over the round.
phase_ms=0
phase_srv=0
phase_cli=0
client_cpu=0
client_rss=0
server_cpu=0
# timed CMD...: runs one client process, adding to the phase and the sums.
timed() {
  local t0 t1 s0 s1 u s m
  s0=$(server_ticks)
  now_us t0
  /usr/bin/time -f '%U %S %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" ||
    { echo "run.sh: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
  now_us t1
  s1=$(server_ticks)
  read -r u s m <"$work/time"
  phase_ms=$((phase_ms + (t1 - t0) / 1000))
  server_cpu=$(awk "BEGIN{print $server_cpu + ($s1 - $s0) / $tck}")
  phase_srv=$(awk "BEGIN{print $phase_srv + ($s1 - $s0) / $tck}")
  client_cpu=$(awk "BEGIN{print $client_cpu + $u + $s}")
  phase_cli=$(awk "BEGIN{print $phase_cli + $u + $s}")
  [ "$m" -le "$client_rss" ] || client_rss=$m
}
# quiet CMD...: an untimed step.
quiet() {
  "$@" >"$work/out" 2>"$work/err" ||
    { echo "run.sh: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
}
# expect TEXT: the last timed or quiet step printed TEXT.
expect() {
  grep -q "$1" "$work/out" ||
    { echo "run.sh: expected \"$1\", got: $(cat "$work/out")" >&2; exit 1; }
}
# start_server CMD...: starts a server printing "... 127.0.0.1:PORT".
start_server() {
  local line
  exec 3< <(exec "$@" 2>"$work/server.log")
  server_pid=$!
  read -r line <&3 || { cat "$work/server.log" >&2; exit 1; }
  url=http://127.0.0.1:${line##*:}
}
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  while kill -0 "$server_pid" 2>/dev/null; do sleep 0.05; done
  server_pid=
  exec 3<&-
}
result() { echo "$sys $1 $2" >>"$work/results"; }
phase() { # phase NAME: records the phase just timed
  result "$1" "$phase_ms"
  result "server_cpu_$1" "$phase_srv"
  result "client_cpu_$1" "$phase_cli"
  phase_ms=0 phase_srv=0 phase_cli=0
}

# The five phases; $1 = the system's client command prefix (a function).
phases() {
  local c=$1
  "$c" sync a
  expect "pushed $n"
  phase push
  "$c" sync b
  expect "pulled $n"
  phase pull
  "$c" sync b
  phase noop
  "$c" sync b
  phase noop2
  outcome_of 0 "$edits" "edited-$round" >"$work/edits.jsonl"
  "$c" edit a "$work/edits.jsonl"
  "$c" sync a
  "$c" sync b
  expect "pulled $edits"
  phase edits
  outcome_of "$edits" "$conflicts" "conflict-a-$round" >"$work/ca.jsonl"
  outcome_of "$edits" "$conflicts" "conflict-b-$round" >"$work/cb.jsonl"
  "$c" edit a "$work/ca.jsonl"
  "$c" edit b "$work/cb.jsonl"
  "$c" sync a
  phase_ms=0 phase_srv=0 phase_cli=0
  "$c" sync b
  phase conflicts
}

# sambang: sync is timed, edit (= import) is not.
sb() {
  local cmd=$1 d=$2
  if [ "$cmd" = sync ]; then
    timed "$sambang" --db "$work/$d.db" sync --once
  else
    quiet "$sambang" --db "$work/$d.db" import "$3"
  fi
}
round_sambang() {
  local d
  rm -rf "$work"/*.db*
  export SAMBANG_HUB_DB=$work/hub.db
  quiet "$hub" init
  start_server "$hub" serve --listen 127.0.0.1:0
  for d in a b; do
    "$hub" device add "$d" --scope all >"$work/$d.tok"
    quiet "$sambang" --db "$work/$d.db" init --server "$url" \
      --token-file "$work/$d.tok"
  done
  quiet "$sambang" --db "$work/a.db" import "$work/rows.jsonl"
  phases sb
}

pd() {
  local cmd=$1 d=$2
  if [ "$cmd" = sync ]; then
    timed node "$here/client.js" sync "$work/pouch-$d" "$url"
  else
    quiet node "$here/client.js" "$cmd" "$work/pouch-$d" "$3"
  fi
}
round_pouchdb() {
  rm -rf "$work"/pouch-*
  start_server node "$here/server.js"
  quiet node "$here/client.js" load "$work/pouch-a" "$work/rows.jsonl"
  phases pd
}

for round in $(seq 1 "$rounds"); do
  order="pouchdb sambang"
  [ $((round % 2)) -eq 1 ] || order="sambang pouchdb"
  for sys in $order; do
    echo "round $round: $sys ..." >&2
    client_cpu=0 client_rss=0 server_cpu=0 phase_ms=0
    "round_$sys"
    result server_rss "$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")"
    stop_server
    result server_cpu "$server_cpu"
    result client_cpu "$client_cpu"
    result client_rss "$client_rss"
  done
done

# The table: medians over the rounds.
awk -v detail="${DETAIL:-0}" -v rounds="$rounds" -v n="$n" -v edits="$edits" -v conflicts="$conflicts" '
function median(key,   k, m, i, j, t, a) {
  m = cnt[key]
  for (i = 1; i <= m; i++) a[i] = val[key, i]
  for (i = 2; i <= m; i++)
    for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
{ k = $1 SUBSEP $2; val[k, ++cnt[k]] = $3 }
function row(label, metric, fmt, div,   p, s) {
  p = median("pouchdb" SUBSEP metric) / div
  s = median("sambang" SUBSEP metric) / div
  printf "%-34s %10s %10s %8s\n", label, sprintf(fmt, p), sprintf(fmt, s),
    (s > 0 ? sprintf("%.2fx", p / s) : "-")
}
END {
  printf "medians of %d rounds, N=%d visits (~500 B)\n", rounds, n
  printf "%-34s %10s %10s %8s\n", "phase", "pouchdb", "sambang", "ratio"
  row("push " n " (ms)", "push", "%d", 1)
  row("fresh pull " n " (ms)", "pull", "%d", 1)
  row("no-op sync (ms)", "noop", "%d", 1)
  row("no-op sync again, settled (ms)", "noop2", "%d", 1)
  row(edits " edits push+pull (ms)", "edits", "%d", 1)
  row(conflicts " conflicts, 2nd sync (ms)", "conflicts", "%d", 1)
  row("server CPU, all syncs (s)", "server_cpu", "%.2f", 1)
  row("client CPU, all syncs (s)", "client_cpu", "%.2f", 1)
  row("server peak RSS (MB)", "server_rss", "%.1f", 1024)
  row("client peak RSS (MB)", "client_rss", "%.1f", 1024)
  if (detail) {
    split("push pull noop noop2 edits conflicts", ph, " ")
    for (i = 1; i <= 6; i++) {
      row("server CPU, " ph[i] " (s)", "server_cpu_" ph[i], "%.3f", 1)
      row("client CPU, " ph[i] " (s)", "client_cpu_" ph[i], "%.3f", 1)
    }
  }
  print "ratio = pouchdb / sambang (above 1: sambang is faster / smaller)"
}' "$work/results"
