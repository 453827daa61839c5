# lib.sh - helpers for the sync tests (sourced by tests/sync/test_*.sh).
#
# A real hub and real field devices on loopback: each device is a store
# ($WORK/NAME.db) enrolled with its own token, synced by `sambang sync
# --once` or by a running sambangd. Everything the hub helpers offer
# (tests/hub/lib.sh: start_hub, stop_hub, dev, hub_export, fail...) is here
# too. Waits are on conditions (wait_until), bounded, never plain sleeps.
#
#   enrol NAME                  device store NAME, enrolled at the hub ($URL)
#   start_hub_at PORT [ARGS]    (re)start the hub on a known port
#   start_hub_tls CERT KEY [ARGS]  the hub over HTTPS on a free port;
#                               $URL is https://localhost:PORT
#   enrol_tls NAME CA [ARGS]    enrol NAME against $URL, keeping CA
#   kill_hub                    kill -9 the hub (by pid)
#   hub_pushes LOG...           pushes the hub(s) accepted, counted in their
#                               logs (mark=$(hub_pushes ...), compare later)
#   start_daemon NAME [ARGS]    sambangd on NAME's store, in the background
#   stop_daemon NAME            SIGTERM; checks the exit status is 0
#   kill_daemon NAME            kill -9
#   wait_until SECONDS CMD...   polls CMD every 50 ms; fails after SECONDS
#   converged NAMES...          true if every device's export is the hub's
#   start_proxy PORT ARGS...    tests/tools/faultproxy in front of 127.0.0.1:PORT
#                               (ARGS: its fault options); sets $PROXY_URL
#   start_scripted ARGS...      a stand-in hub, tests/tools/scripted_hub.py
#                               (ARGS: its script; log $WORK/scripted.log);
#                               sets $SCRIPTED_URL
#   scripted_d1 ARGS...         device d1 (a token from the real hub's store)
#                               syncing with a stand-in hub started with
#                               ARGS, holding 1000 notes n-00000..; its
#                               $WORK/once.conf: batches of 500
#   notes_jsonl PREFIX N        N import lines of ~400-byte notes PREFIX-00000..
#   fill_two N1 N2              d1 and d2 import N1 and N2 notes; $WORK/written
#                               is the sorted union of their exports
#   small_steps_conf FILE       a daemon config of small batches and pages
#   expect_converged NAMES...   fails with a diff if not
#   resolve_one DEVICE          resolves its first field in conflict, if any
#   chaos_edit DEVICE STEP      one random edit of records others edit too
#   ben DEVICE ID KECAMATAN [NAME]  a beneficiary (consent, a group, NAME
#                               or "Ibu ID")
#   visit DEVICE ID BENEFICIARY a visit of that beneficiary
#   ids DEVICE                  the ids the store holds, sorted, one line
#   hub_ids                     the ids the hub holds, as ids
#   expect_ids DEVICE "ID ..."  fails unless the store holds exactly those
#   setu_two FIELD SETU         FIELD writes b1 and b2 in Setu and v1 (of
#                               b1) and syncs, then SETU syncs
: "${SAMBANGD:?set SAMBANGD to the sambangd binary}"
. "$(dirname "${BASH_SOURCE[0]}")/../hub/lib.sh"

declare -A DPID=()
PROXY_PID=
PROXY_URL=
SCRIPTED_PID=
SCRIPTED_URL=

# Kill daemons too at exit (the hub's cleanup runs after).
sync_cleanup() {
  local n
  for n in "${!DPID[@]}"; do
    kill -KILL "${DPID[$n]}" 2>/dev/null || true
  done
  [ -z "$PROXY_PID" ] || kill -KILL "$PROXY_PID" 2>/dev/null || true
  [ -z "$SCRIPTED_PID" ] || kill -KILL "$SCRIPTED_PID" 2>/dev/null || true
  cleanup
}
trap sync_cleanup EXIT

# Shows the daemons' logs when a test fails.
fail_logs() {
  local f
  for f in "$WORK"/*.log; do
    echo "--- $f (tail):" >&2
    tail -n 15 "$f" >&2 || true
  done
}

# describe_processes: what the hub (or the hubs of tests/pg/hubs.sh) and
# each daemon are doing (stuck.sh).
describe_processes() {
  local name pid
  [ -z "$HUB_PID" ] || { echo "--- the hub:" >&2; describe_stuck "$HUB_PID"; }
  for pid in ${HUB_PIDS[@]+"${HUB_PIDS[@]}"}; do
    [ -z "$pid" ] || { echo "--- a hub:" >&2; describe_stuck "$pid"; }
  done
  for name in "${!DPID[@]}"; do
    echo "--- sambangd $name:" >&2
    describe_stuck "${DPID[$name]}"
  done
}

# enrol NAME [SCOPE]: a device of scope SCOPE (default all), initialised.
enrol() {
  local name=$1 scope=${2:-all} token
  token=$("$HUB" device add "$name" --scope "$scope") ||
    fail "device add $name failed"
  printf '%s' "$token" >"$WORK/$name.tok"
  dev "$name" init --server "$URL" --token "$token" >/dev/null ||
    fail "init of device $name failed"
}

start_hub_tls() {
  local cert=$1 key=$2
  shift 2
  start_hub --tls-cert "$cert" --tls-key "$key" "$@"
  URL=https://localhost:$PORT
}

enrol_tls() {
  local name=$1 ca=$2 token
  shift 2
  token=$("$HUB" device add "$name" --scope all) || fail "device add $name failed"
  dev "$name" init --server "$URL" --token "$token" --ca-file "$ca" "$@" \
    >/dev/null || fail "init of device $name failed"
}

kill_hub() {
  kill -KILL "$HUB_PID" 2>/dev/null || true
  wait "$HUB_PID" 2>/dev/null || true
  exec 3<&-
  HUB_PID=
}

hub_pushes() {
  cat "$@" 2>/dev/null | grep -c 'POST /v1/push 200' || true
}

# start_daemon NAME [ARGS...]: returns once the daemon answers on its
# control socket. (The socket file alone says nothing: one killed with -9
# leaves it behind, and a TERM sent before the new daemon is up kills it
# with 143.)
start_daemon() {
  local name=$1
  shift
  SAMBANG_DB=$WORK/$name.db "$SAMBANGD" "$@" 2>>"$WORK/$name.log" &
  DPID[$name]=$!
  wait_until 10 daemon_answers "$name"
}

daemon_answers() {
  local s
  s=$(dev "$1" status 2>/dev/null) || return 1
  case $s in
  *"daemon: not running"*) return 1 ;;
  *"daemon: "*) return 0 ;;
  esac
  return 1
}

stop_daemon() {
  local name=$1 rc=0
  kill -TERM "${DPID[$name]}"
  wait "${DPID[$name]}" || rc=$?
  unset "DPID[$name]"
  [ "$rc" -eq 0 ] || { fail_logs; fail "sambangd $name exited with $rc"; }
}

kill_daemon() {
  local name=$1
  kill -KILL "${DPID[$name]}" 2>/dev/null || true
  wait "${DPID[$name]}" 2>/dev/null || true
  unset "DPID[$name]"
}

# seed_random: $RANDOM seeded from $SEED (default: a random one), said so
# that a failing history can be replayed.
seed_random() {
  SEED=${SEED:-$RANDOM}
  echo "seed $SEED (replay: SEED=$SEED bash $0)"
  RANDOM=$SEED
}

wait_until() {
  local limit=$1 i=0
  shift
  while ! "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt $((limit * 20)) ]; then
      fail_logs
      describe_processes
      fail "timed out after ${limit}s waiting for: $*"
    fi
    sleep 0.05
  done
}

converged() {
  local n
  "$HUB" export >"$WORK/hub.export" || return 1
  for n in "$@"; do
    dev "$n" export >"$WORK/$n.export" || return 1
    cmp -s "$WORK/hub.export" "$WORK/$n.export" || return 1
  done
}

expect_converged() {
  local n
  if ! converged "$@"; then
    for n in "$@"; do
      echo "--- diff hub $n:" >&2
      diff "$WORK/hub.export" "$WORK/$n.export" | head -n 10 >&2 || true
    done
    fail_logs
    fail "devices $* did not converge with the hub"
  fi
}

# sync_to_rest PASSES DEVICE...: the devices sync, pass after pass, until
# one whole pass leaves nothing waiting (each sync exits 0); a sync may say
# records wait (7: a hub put back from a copy). Fails after PASSES passes.
sync_to_rest() {
  local passes=$1 pass d rc clean
  shift
  for ((pass = 0; pass < passes; pass++)); do
    clean=1
    for d in "$@"; do
      rc=0
      dev "$d" sync --once >"$OUT" 2>"$ERR" || rc=$?
      [ "$rc" = 0 ] || [ "$rc" = 7 ] ||
        fail "sync of $d exited $rc: $(cat "$ERR")"
      [ "$rc" = 0 ] || clean=0
    done
    [ "$clean" = 0 ] || return 0
  done
  fail "the devices did not come to rest in $passes passes: $(cat "$ERR")"
}

# sync_once NAME: one in-process cycle; fails the test if it fails.
sync_once() {
  local name=$1
  dev "$name" sync --once >"$OUT" 2>"$ERR" ||
    fail "sambang sync --once on $name failed"
}

notes_jsonl() {
  local i pad
  pad=$(printf 'x%.0s' {1..300})
  for ((i = 0; i < $2; i++)); do
    printf '{"collection":"notes","id":"%s-%05d","fields":{"i":%d,"text":"%s"}}\n' \
      "$1" "$i" "$i" "$pad"
  done
}

fill_two() {
  notes_jsonl a "$1" >"$WORK/a.jsonl"
  notes_jsonl b "$2" >"$WORK/b.jsonl"
  dev d1 import "$WORK/a.jsonl" >/dev/null || fail "import on d1 failed"
  dev d2 import "$WORK/b.jsonl" >/dev/null || fail "import on d2 failed"
  { dev d1 export; dev d2 export; } | sort >"$WORK/written"
}

# Small batches and pages, so a sync is many steps to be killed between.
small_steps_conf() {
  printf 'batch = 40\npage = 60\nbackoff_min = 1\nbackoff_cap = 1\n' >"$1"
}

start_proxy() {
  local port=$1 line
  shift
  : "${FAULTPROXY:?set FAULTPROXY to the faultproxy binary}"
  exec 4< <(exec "$FAULTPROXY" --listen 127.0.0.1:0 \
    --target "127.0.0.1:$port" "$@" 2>>"$WORK/proxy.log")
  PROXY_PID=$!
  read -r -t 10 line <&4 || fail "the proxy did not start"
  PROXY_URL=http://127.0.0.1:${line##*:}
}

start_scripted() {
  local line
  [ -z "$SCRIPTED_PID" ] || kill -KILL "$SCRIPTED_PID" 2>/dev/null || true
  exec 5< <(exec python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/scripted_hub.py" \
    "$@" 2>>"$WORK/scripted.log")
  SCRIPTED_PID=$!
  read -r -t 10 line <&5 || fail "the scripted hub did not start"
  SCRIPTED_URL=http://127.0.0.1:${line##*:}
}

scripted_d1() {
  local token
  expect_hub_ok init
  token=$("$HUB" device add d1 --scope all) || fail "device add failed"
  start_scripted "$@"
  dev d1 init --server "$SCRIPTED_URL" --token "$token" >/dev/null ||
    fail "init of d1 failed"
  notes_jsonl n 1000 >"$WORK/n.jsonl"
  dev d1 import "$WORK/n.jsonl" >/dev/null || fail "import on d1 failed"
  printf 'batch = 500\n' >"$WORK/once.conf"
}

# resolve_one DEVICE: resolves the first field in conflict on DEVICE by
# its first value, if any is in conflict (the chaos tests' resolver).
resolve_one() {
  local line
  line=$(dev "$1" --json conflicts 2>/dev/null) || true
  line=${line%%$'\n'*} # the first (no head: its early exit is a SIGPIPE)
  [ -n "$line" ] || return 0
  set -- "$1" $(printf '%s' "$line" | python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
f = j.get("fields") or {}
if isinstance(f, dict) and f:
    print(j["collection"], j["id"], next(iter(f)))')
  [ $# -eq 4 ] || return 0
  dev "$1" resolve "$2" "$3" "$4" --pick 1 >/dev/null 2>&1 || true
}

# chaos_edit DEVICE STEP: one random edit on DEVICE of records the other
# devices edit too (the chaos tests'): a note put (most often) or
# deleted, a conflict resolved, a beneficiary's consent given (with a
# name) or withdrawn. The notes k0..k7 and beneficiaries b0..b2 are shared.
chaos_edit() {
  local d=$1 k=k$((RANDOM % 8)) b=b$((RANDOM % 3))
  case $((RANDOM % 16)) in
  0 | 1) dev "$d" rm notes "$k" >/dev/null 2>&1 || true ;;
  2) resolve_one "$d" ;;
  3)
    if ((RANDOM % 2)); then
      ben "$d" "$b" Setu
    else
      dev "$d" put beneficiary "$b" '{"consent":false,"name":null}' \
        >/dev/null 2>&1 || true
    fi
    ;;
  *)
    dev "$d" put notes "$k" "{\"by\":\"$d\",\"n\":$RANDOM,\"f$((RANDOM % 4))\":$2}" \
      >/dev/null || fail "put on $d failed"
    ;;
  esac
}

# Scoped records (kecamatan; a visit follows its beneficiary).
ben() {
  dev "$1" put beneficiary "$2" "{\"consent\":true,\"groups\":[\"miskin\"],\"kecamatan\":\"$3\",\"name\":\"${4:-Ibu $2}\"}" \
    >/dev/null || fail "put beneficiary $2 on $1"
}
visit() {
  dev "$1" put visit "$2" "{\"beneficiary\":\"$3\",\"date\":\"2024-05-01\",\"programme\":\"skills-cooking\"}" \
    >/dev/null || fail "put visit $2 on $1"
}
ids() {
  dev "$1" export | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | LC_ALL=C sort | tr '\n' ' '
}
hub_ids() {
  "$HUB" export | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | LC_ALL=C sort | tr '\n' ' '
}
expect_ids() {
  local got
  got=$(ids "$1")
  [ "$got" = "${2:+$2 }" ] || fail "$1 holds [$got], expected [$2]"
}
setu_two() {
  ben "$1" b1 Setu
  ben "$1" b2 Setu
  visit "$1" v1 b1
  sync_once "$1"
  sync_once "$2"
  [ "$(ids "$2")" = "b1 b2 v1 " ] || fail "$2 holds [$(ids "$2")], not b1 b2 v1"
}

# Copies of the hub's store, put back (tests of `sambang-hub restored`).
# copy_store FILE: a copy of the hub's store, taken while it serves.
copy_store() {
  if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
    "$PG_BIN/pg_dump" -h 127.0.0.1 -p "$PG_PORT" -U sambang -Fc -f "$1" hub ||
      fail "pg_dump"
  else
    sqlite3 "$SAMBANG_HUB_DB" ".backup '$1'" || fail "backup"
  fi
}
# put_back FILE: the store replaced by the copy (every hub stopped).
put_back() {
  if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
    pg_sql postgres "DROP DATABASE hub WITH (FORCE)" || fail "drop"
    pg_sql postgres "CREATE DATABASE hub" || fail "create"
    "$PG_BIN/pg_restore" -h 127.0.0.1 -p "$PG_PORT" -U sambang -d hub "$1" ||
      fail "pg_restore"
  else
    cp "$1" "$SAMBANG_HUB_DB"
    rm -f "$SAMBANG_HUB_DB-wal" "$SAMBANG_HUB_DB-shm"
  fi
}
# store_sum: a checksum of what the store holds.
store_sum() {
  if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
    pg_sql hub "SELECT md5(string_agg(key || value, ',' ORDER BY key)) FROM meta"
  else
    sha256sum <"$SAMBANG_HUB_DB"
  fi
}
