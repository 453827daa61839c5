#!/usr/bin/env bash
# faultproxy (tests/tools) in front of a real hub: with delays only it passes
# requests, keep-alive and a large push through unchanged; a cut or a
# truncation (drawn, or of the first N connections) makes the client fail;
# refused connections and connections
# while the hub is down are counted in --count-file; SIGUSR1 prints the
# counters; SIGTERM ends it with exit 0. Bad options exit 2 and say which.
. "$(dirname "$0")/lib.sh"
: "${FAULTPROXY:?set FAULTPROXY to the faultproxy binary}"

PROXY_PID=
PURL=
COUNT=$WORK/count

proxy_cleanup() {
  if [ -n "$PROXY_PID" ]; then
    kill -KILL "$PROXY_PID" 2>/dev/null || true
  fi
  cleanup
}
trap proxy_cleanup EXIT

# start_proxy ARGS...: a proxy in front of the hub (or of $TARGET_PORT);
# sets $PURL; its stderr goes to $WORK/proxy.log, its stdout is fd 5.
start_proxy() {
  local line
  : >"$WORK/proxy.log"
  exec 5< <(exec "$FAULTPROXY" --listen 127.0.0.1:0 \
    --target "127.0.0.1:${TARGET_PORT:-${URL##*:}}" \
    --count-file "$COUNT" "$@" 2>>"$WORK/proxy.log")
  PROXY_PID=$!
  read -r -t 30 line <&5 || fail "the proxy did not start"
  case $line in
  "listening on 127.0.0.1:"*) ;;
  *) fail "unexpected first line from the proxy: $line" ;;
  esac
  PURL=http://127.0.0.1:${line##*:}
}

stop_proxy() {
  local rc=0
  kill -TERM "$PROXY_PID"
  cat <&5 >/dev/null
  wait "$PROXY_PID" || rc=$?
  exec 5<&-
  PROXY_PID=
  [ "$rc" -eq 0 ] || fail "the proxy exited with $rc after SIGTERM"
}

# wait_log TEXT [N]: until the proxy log has N lines (default 1) with TEXT.
wait_log() {
  local n=0
  until [ "$(grep -cF -- "$1" "$WORK/proxy.log")" -ge "${2:-1}" ]; do
    n=$((n + 1))
    [ "$n" -lt 1000 ] || fail "the proxy never logged ${2:-1} x: $1"
    sleep 0.01
  done
}

# expect_count N: the count file says N.
expect_count() {
  [ "$(cat "$COUNT")" = "$1" ] ||
    fail "count file: expected $1, got $(cat "$COUNT")"
}

# pcurl PATH [CURL_ARGS...]: a GET through the proxy; $RC is curl's exit.
pcurl() {
  local path=$1
  shift
  set +e
  curl -sS --max-time 30 -o "$BODY" "$@" "$PURL$path" 2>"$ERR"
  RC=$?
  set -e
}

CASE=usage
"$FAULTPROXY" --help >"$OUT" || fail "--help must exit 0"
grep -q '^usage: faultproxy --listen' "$OUT" || fail "--help prints usage"
bad_option() { # bad_option NAME ARGS...: exit 2, stderr names NAME
  local name=$1
  shift
  set +e
  "$FAULTPROXY" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
  [ "$RC" -eq 2 ] || fail "expected exit 2 from: faultproxy $*; got $RC"
  grep -q "^faultproxy: .*$name" "$ERR" || fail "stderr must name $name"
}
bad_option --listen --listen 0.0.0.0:0 --target 127.0.0.1:1
bad_option --listen --listen localhost:0 --target 127.0.0.1:1
bad_option --target --listen 127.0.0.1:0 --target 10.0.0.1:80
bad_option --target --listen 127.0.0.1:0 --target 127.0.0.1:0
bad_option --target --listen 127.0.0.1:0
bad_option --cut-prob --listen 127.0.0.1:0 --target 127.0.0.1:1 --cut-prob 1.5
bad_option --refuse-prob --listen 127.0.0.1:0 --target 127.0.0.1:1 \
  --refuse-prob x
bad_option --delay-ms --listen 127.0.0.1:0 --target 127.0.0.1:1 --delay-ms -1
bad_option --seed --listen 127.0.0.1:0 --target 127.0.0.1:1 --seed
bad_option --bogus --listen 127.0.0.1:0 --target 127.0.0.1:1 --bogus 1
bad_option --truncate-first --listen 127.0.0.1:0 --target 127.0.0.1:1 \
  --truncate-first -1

expect_hub_ok init
tok=$("$HUB" device add dev-a --scope all)
r=$(dev_init a)
for i in $(seq 1 300); do
  printf '{"collection":"notes","id":"n%s","fields":{"i":%s,"text":"%s"}}\n' \
    "$i" "$i" "$(head -c 300 /dev/zero | tr '\0' 'x')"
done >"$WORK/import.jsonl"
dev a import "$WORK/import.jsonl" >/dev/null
batch_of a >"$WORK/batch.json"
start_hub

CASE=delay
start_proxy --delay-ms 40 --seed 7
expect_count 0
pcurl /v1/health
[ "$RC" -eq 0 ] || fail "GET /v1/health through the proxy: curl exit $RC"
[ "$(cat "$BODY")" = '{"status":"ok"}' ] || fail "health body"
expect_count 1
# Keep-alive: two requests on one connection are passed through.
set +e
curl -sS --max-time 30 "$PURL/v1/health" "$PURL/v1/health" >"$BODY" 2>"$ERR"
RC=$?
set -e
[ "$RC" -eq 0 ] || fail "two requests on one connection: curl exit $RC"
[ "$(cat "$BODY")" = '{"status":"ok"}{"status":"ok"}' ] || fail "two replies"
expect_count 2
# A large request and reply, many chunks each way, in order.
[ "$(stat -c %s "$WORK/batch.json")" -gt 100000 ] || fail "batch too small"
pcurl /v1/push -X POST -H "Authorization: Bearer $tok" \
  -H "Sambang-Replica: $r" -H 'Content-Type: application/json' \
  --data-binary @"$WORK/batch.json"
[ "$RC" -eq 0 ] || fail "push through the proxy: curl exit $RC"
[ "$(grep -o '"ok":true' "$BODY" | wc -l)" -eq 300 ] || fail "300 ok"
[ "$(hub_export | wc -l)" -eq 300 ] || fail "300 records stored"
pcurl "/v1/changes?since=0" -H "Authorization: Bearer $tok" \
  -H "Sambang-Replica: $r"
[ "$RC" -eq 0 ] || fail "pull through the proxy: curl exit $RC"
req GET "/v1/changes?since=0" -H "Authorization: Bearer $tok" \
  -H "Sambang-Replica: $r"
cmp -s "$BODY" <(curl -sS --max-time 30 -H "Authorization: Bearer $tok" \
  -H "Sambang-Replica: $r" "$PURL/v1/changes?since=0") ||
  fail "a page through the proxy differs from the page direct"
kill -USR1 "$PROXY_PID"
wait_log 'faultproxy: connections=5 cuts=0 truncations=0 refusals=0'
stop_proxy

CASE=cut
# /metrics is longer than 4096 bytes: the cut comes before its end.
[ "$(curl -sS --max-time 30 "$URL/metrics" | wc -c)" -gt 4096 ] ||
  fail "/metrics is too short to be cut"
start_proxy --cut-prob 1 --seed 3
pcurl /metrics
[ "$RC" -ne 0 ] || fail "a cut reply must make curl fail"
wait_log 'faultproxy: cut after '
stop_proxy
# A short reply is cut too with a small --cut-max.
start_proxy --cut-prob 1 --cut-max 16
pcurl /v1/health
[ "$RC" -ne 0 ] || fail "a cut health reply must make curl fail"
wait_log 'faultproxy: cut after '
kill -USR1 "$PROXY_PID"
wait_log 'faultproxy: connections=1 cuts=1 truncations=0 refusals=0'
stop_proxy

CASE=truncate
start_proxy --truncate-prob 1 --seed 5
pcurl /metrics
# curl fails on a short body; a prefix that ends inside the headers leaves
# it with no body (curl takes that as a reply).
[ "$RC" -ne 0 ] || [ ! -s "$BODY" ] || fail "a truncated reply got through"
wait_log 'faultproxy: truncated after '
stop_proxy

CASE=truncate-first
# The first two connections are truncated whatever is drawn (none here),
# the third comes through whole.
start_proxy --truncate-first 2
for i in 1 2; do
  pcurl /metrics
  [ "$RC" -ne 0 ] || [ ! -s "$BODY" ] || fail "connection $i was not truncated"
done
wait_log 'faultproxy: truncated after ' 2
pcurl /v1/health
[ "$RC" -eq 0 ] && grep -q '"ok"' "$BODY" || fail "the third connection must come through: $(cat "$BODY")"
stop_proxy

CASE=refuse
start_proxy --refuse-prob 1
for i in 1 2 3 4 5; do
  pcurl /v1/health
  [ "$RC" -ne 0 ] || fail "a refused connection must make curl fail"
done
expect_count 5
wait_log 'faultproxy: refused connection' 5
stop_proxy

CASE=hub-down
TARGET_PORT=${URL##*:}
stop_hub
start_proxy
for i in 1 2 3; do
  pcurl /v1/health
  [ "$RC" -ne 0 ] || fail "curl must fail while the hub is down"
done
expect_count 3
stop_proxy
