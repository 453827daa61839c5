# lib.sh - helpers for the hub tests (sourced by tests/hub/test_*.sh).
#
# Each test runs the real binaries against a real hub on a free loopback
# port, in its own temporary directory ($WORK, removed at exit; the hub is
# killed by pid). Field devices are sambang stores ($WORK/NAME.db): their
# `sambang export` lines are record states, exactly what a push carries.
# A helper that finds a mismatch prints what it saw and exits non-zero.
#
#   start_hub [SERVE_ARGS...]   start `sambang-hub serve` on port 0; sets $URL
#   start_hub_at PORT [SERVE_ARGS...]   the same on PORT; sets $URL, $PORT
#   stop_hub                    SIGTERM, wait for the exit, check it was 0
#   hub ARGS...                 run sambang-hub; $RC, $OUT, $ERR hold the result
#   dev NAME ARGS...            run sambang on device NAME's store
#   dev_init NAME               new device store; prints its replica id
#   replica_of NAME             device NAME's replica id
#   batch_of NAME [FILE]        a push body of device NAME's export
#   push_as TOKEN REPLICA EXPORT SED   push an edited export as another device
#   req METHOD PATH CURL_ARGS...   one request; $STATUS and $BODY hold the reply
#   table_as_csv COLL QUERY JAR  the office table (facts) = the CSV's walk
#   push TOKEN REPLICA FILE     POST /v1/push as that device
#   pull TOKEN REPLICA QUERY    GET /v1/changes?QUERY as that device
#   expect_status N / expect_error STATUS CODE
#   snapshot / expect_unchanged `sambang-hub export` is unchanged since snapshot
set -euo pipefail

: "${HUB:?set HUB to the sambang-hub binary}"
: "${SAMBANG:?set SAMBANG to the sambang binary}"

. "$(dirname "${BASH_SOURCE[0]}")/../tools/stuck.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sambang-hub.XXXXXX")
# python3 is the interpreter itself, found once: a version manager's shim
# on PATH (pyenv's is a chain of shell scripts) costs ~0.2 s a call, the
# office and chaos tests call it dozens of times, and a background shim's
# pid is not the server's.
if command -v python3 >/dev/null; then
  mkdir "$WORK/bin"
  ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$WORK/bin/python3"
  PATH=$WORK/bin:$PATH
fi
export SAMBANG_HUB_DB=$WORK/hub.db
# SAMBANG_TEST_PG=1: the same tests on PostgreSQL (a throwaway cluster for
# this script, tests/pg/lib.sh); the hub store is a database in it.
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  . "$(dirname "${BASH_SOURCE[0]}")/../pg/lib.sh"
  pg_start || { rm -rf "$WORK"; echo "FAIL: cannot start PostgreSQL" >&2; exit 1; }
  SAMBANG_HUB_DB=$(pg_createdb hub) || { pg_cleanup; exit 1; }
fi
unset SAMBANG_DB XDG_DATA_HOME SAMBANG_BUSY_TIMEOUT_MS
OUT=$WORK/stdout
ERR=$WORK/stderr
BODY=$WORK/body
HEADERS=$WORK/headers
RC=0
STATUS=0
HUB_PID=
URL=
PORT=

cleanup() {
  if [ -n "$HUB_PID" ]; then
    kill -KILL "$HUB_PID" 2>/dev/null || true
    # A hub run under libfaketime made shared memory named by its pid that
    # a kill leaves behind; a later `faketime` given the same pid would fail
    # on it ("sem_open: File exists").
    rm -f "/dev/shm/faketime_shm_$HUB_PID" "/dev/shm/sem.faketime_sem_$HUB_PID"
  fi
  if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
    pg_cleanup
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

CASE=
fail() {
  echo "FAIL: ${CASE:+[$CASE] }$*" >&2
  echo "--- status: $STATUS; body:" >&2
  head -c 2000 "$BODY" >&2 2>/dev/null || true
  echo >&2
  echo "--- stdout:" >&2
  head -c 2000 "$OUT" >&2 2>/dev/null || true
  echo "--- stderr:" >&2
  head -c 2000 "$ERR" >&2 2>/dev/null || true
  echo "--- hub log (tail):" >&2
  tail -n 20 "$WORK/hub.log" >&2 2>/dev/null || true
  exit 1
}

hub() {
  set +e
  "$HUB" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
}

expect_hub_ok() {
  hub "$@"
  [ "$RC" -eq 0 ] || fail "expected exit 0 from: sambang-hub $*; got $RC"
}

expect_hub_fail() {
  local code=$1
  shift
  hub "$@"
  [ "$RC" -eq "$code" ] || fail "expected exit $code from: sambang-hub $*; got $RC"
  grep -q '^sambang-hub: ' "$ERR" || fail "stderr must start with 'sambang-hub: '"
}

# start_hub_at PORT [ARGS...]: `sambang-hub serve` on 127.0.0.1:PORT (0: a
# free port); sets $PORT and $URL. The hub's stdout is read through fd 3
# (its first line names the port); its log goes to $WORK/hub.log.
start_hub_at() {
  local port=$1 line
  shift
  exec 3< <(exec "$HUB" serve --listen "127.0.0.1:$port" "$@" \
    2>>"$WORK/hub.log")
  HUB_PID=$!
  read -r -t 30 line <&3 || {
    describe_stuck "$HUB_PID"
    fail "the hub did not start on 127.0.0.1:$port"
  }
  case $line in
  "listening on 127.0.0.1:"*) ;;
  *) fail "unexpected first line from the hub: $line" ;;
  esac
  PORT=${line##*:}
  URL=http://127.0.0.1:$PORT
}

# start_hub [ARGS...]: start_hub_at on a free port.
start_hub() {
  start_hub_at 0 "$@"
}

# stop_hub: SIGTERM, then wait for the hub to exit (its stdout closes).
stop_hub() {
  local rc=0
  kill -TERM "$HUB_PID"
  cat <&3 >/dev/null
  wait "$HUB_PID" || rc=$?
  exec 3<&-
  HUB_PID=
  [ "$rc" -eq 0 ] || fail "the hub exited with $rc after SIGTERM"
}

# office_session NAME PASSWORD: logs NAME in to the dashboard (cookie jar
# $WORK/NAME.jar) and sets CSRF to the session's token.
office_session() {
  curl -sS -o /dev/null -c "$WORK/$1.jar" --data-urlencode "user=$1" \
    --data-urlencode "password=$2" "$URL/login" || fail "login of $1"
  CSRF=$(curl -sS -b "$WORK/$1.jar" "$URL/api/session" |
    sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
  [ -n "$CSRF" ] || fail "no CSRF token for $1"
}

dev() {
  local name=$1
  shift
  SAMBANG_DB=$WORK/$name.db "$SAMBANG" "$@"
}

dev_init() {
  dev "$1" init
}

# replica_of NAME: device NAME's replica id.
replica_of() {
  dev "$1" --json status | sed -n 's/.*"replica":"\([^"]*\)".*/\1/p'
}

# batch_of NAME: {"records":[...every record of NAME...]} on stdout.
batch_of() {
  printf '{"records":['
  dev "$1" export | paste -sd, -
  printf ']}'
}

# push_as TOKEN REPLICA EXPORT SED: what another device would push: the
# record states of EXPORT (a device's `sambang export`) edited by the sed
# script SED (the replica id and values made that device's), pushed with
# TOKEN as REPLICA. The hub must take every record.
push_as() {
  printf '{"records":[%s]}' "$(sed "$4" "$3" | paste -sd, -)" >"$WORK/push_as.json"
  push "$1" "$2" "$WORK/push_as.json"
  expect_status 200
  grep -q '"ok":true' "$BODY" && ! grep -q '"ok":false' "$BODY" ||
    fail "a push as $2: $(cat "$BODY")"
}

# req METHOD PATH [CURL_ARGS...]
req() {
  local method=$1 path=$2
  shift 2
  STATUS=$(curl -sS -X "$method" -o "$BODY" -D "$HEADERS" -w '%{http_code}' \
    --max-time 60 "$@" "$URL$path") || fail "curl failed: $method $path"
}

# csv_args QUERY: `sambang-hub export --csv`'s options for the dashboard
# query QUERY's filters (sort, desc, page and limit order and cut the
# table, not the CSV).
csv_args() {
  local kv k v
  local IFS='&'
  for kv in $1; do
    k=${kv%%=*} v=$(printf '%b' "${kv#*=}" | sed 's/+/ /g')
    case $k in
    kecamatan | group | programme | from | to) printf '%s\n' "--$k" "$v" ;;
    q) printf '%s\n' --search "$v" ;;
    conflict | review | personal) [ "$v" = 1 ] && printf '%s\n' "--$k" ;;
    esac
  done
}

# table_as_csv COLLECTION QUERY JAR: the office's records table of QUERY
# and its CSV (both from the hub's kept facts) are the store's: the CSV
# is byte for byte `sambang-hub export --csv` with the same filters (a
# walk of the store), and the table is that CSV sorted and paged as it
# says (tests/tools/table_check.py); the table's reply is kept in
# facts.json.
table_as_csv() {
  local args
  req GET "/api/records/$1?$2" -b "$3"
  expect_status 200
  cp "$BODY" "$WORK/facts.json"
  mapfile -t args < <(csv_args "$2")
  "$HUB" export --csv "$1" "${args[@]}" >"$WORK/walk.csv" ||
    fail "export --csv $1 ${args[*]}"
  req GET "/export/$1.csv?$2" -b "$3"
  expect_status 200
  cmp -s "$BODY" "$WORK/walk.csv" ||
    fail "$1?$2: the page's CSV (facts) differs from export --csv ${args[*]} (the store): $(diff "$BODY" "$WORK/walk.csv" | head -5)"
  python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/table_check.py" \
    "$WORK/facts.json" "$BODY" "$2" >"$WORK/table_check" ||
    fail "$1?$2: $(cat "$WORK/table_check")"
}

auth() { # auth TOKEN REPLICA: the two headers as curl arguments
  printf '%s\n' -H "Authorization: Bearer $1" -H "Sambang-Replica: $2"
}

push() {
  local token=$1 replica=$2 file=$3
  shift 3
  req POST /v1/push -H "Authorization: Bearer $token" \
    -H "Sambang-Replica: $replica" -H 'Content-Type: application/json' \
    --data-binary @"$file" "$@"
}

pull() {
  local token=$1 replica=$2 query=$3
  shift 3
  req GET "/v1/changes?$query" -H "Authorization: Bearer $token" \
    -H "Sambang-Replica: $replica" "$@"
}

expect_status() {
  [ "$STATUS" = "$1" ] || fail "expected status $1, got $STATUS"
}

# The error code of the last reply's envelope (with or without "record").
error_code() {
  sed -n 's/^{"error":{"code":"\([a-z0-9_]*\)","message":".*"\(,"record":[0-9]*\)\?}}$/\1/p' "$BODY"
}

expect_error() {
  expect_status "$1"
  [ "$(error_code)" = "$2" ] || fail "expected error code $2"
  grep -qi '^content-type: application/json' "$HEADERS" ||
    fail "an error must be application/json"
}

expect_body_contains() {
  grep -qF -- "$1" "$BODY" || fail "the reply does not contain: $1"
}

expect_body_lacks() {
  if grep -qF -- "$1" "$BODY"; then
    fail "the reply contains: $1"
  fi
}

expect_header() { # expect_header 'Name: value' (case-insensitive name)
  grep -qiF -- "$1" "$HEADERS" || fail "no header: $1"
}

hub_export() {
  "$HUB" export || fail "sambang-hub export failed"
}

snapshot() {
  hub_export >"$WORK/snapshot"
}

expect_unchanged() {
  hub_export >"$WORK/now"
  cmp -s "$WORK/snapshot" "$WORK/now" ||
    fail "the hub's store changed (export differs from the snapshot)"
}

# The number of changes in the last changes page.
page_size() {
  grep -o '{"record":' "$BODY" | wc -l
}

# The "next" cursor of the last changes page.
page_next() {
  sed -n 's/.*,"next":\([0-9]*\)[,}].*/\1/p' "$BODY"
}

# The record states of the last changes page, one per line.
page_states() {
  [ "$(page_size)" -gt 0 ] || return 0
  sed -e 's/^{"changes":\[{"record"://' \
    -e 's/,"seq":[0-9]*}\]\(,"horizon":[0-9]*\)\?\(,"last":[0-9]*\)\?,"more":[a-z]*,"next":[0-9]*\(,"scope":"[^"]*"\)\?}$//' \
    -e 's/,"seq":[0-9]*},{"record":/\n/g' "$BODY"
  echo
}

# metric NAME: the value of one metric line (exact name with labels).
metric() {
  curl -sS --max-time 10 "$URL/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# wait_metric NAME VALUE: until the metric has that value (up to 20 s).
wait_metric() {
  local n=0
  until [ "$(metric "$1")" = "$2" ]; do
    n=$((n + 1))
    [ "$n" -lt 1000 ] || fail "metric $1 never reached $2 (is $(metric "$1"))"
    sleep 0.02
  done
}

# peak_kb, rss_kb: the running hub's peak and present resident memory (kB).
peak_kb() {
  sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$HUB_PID/status"
}
rss_kb() {
  sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$HUB_PID/status"
}

# now_ms: milliseconds since the epoch.
now_ms() {
  date +%s%3N
}

# lock_store: hold the hub store's write lock (a sqlite3 process in a
# transaction) until unlock_store.
lock_store() {
  local n=0
  rm -f "$WORK/sql" "$WORK/locked"
  mkfifo "$WORK/sql"
  sqlite3 "$SAMBANG_HUB_DB" <"$WORK/sql" >/dev/null &
  LOCK_PID=$!
  exec 4>"$WORK/sql"
  printf 'BEGIN IMMEDIATE;\n.shell touch %s\n' "$WORK/locked" >&4
  until [ -e "$WORK/locked" ]; do
    n=$((n + 1))
    [ "$n" -lt 1000 ] || fail "sqlite3 did not take the lock"
    sleep 0.01
  done
}

unlock_store() {
  printf 'COMMIT;\n.quit\n' >&4
  exec 4>&-
  wait "$LOCK_PID" || fail "sqlite3 failed"
}
