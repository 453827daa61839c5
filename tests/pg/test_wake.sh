#!/usr/bin/env bash
# Several hubs on one PostgreSQL database (issue 13): a push on hub 1
# wakes a long-poll held by hub 2 promptly (LISTEN/NOTIFY, no polling);
# while PostgreSQL is down every hub answers 503 with Retry-After, and
# once it is back the hubs reconnect by themselves: a push through one is
# pulled through the other, and long-polls wake across hubs again.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../hub/lib.sh"
. "$(dirname "$0")/hubs.sh"

expect_hub_ok init
tok1=$("$HUB" device add d1 --scope all)
tok2=$("$HUB" device add d2 --scope all)
r1=$(dev_init d1)
r2=$(dev_init d2)
dev d1 put notes n1 '{"text":"one"}' >/dev/null
batch_of d1 >"$WORK/b1.json"
dev d1 put notes n2 '{"text":"two"}' >/dev/null
batch_of d1 >"$WORK/b2.json"
hubs_start 2

# longpoll_then_push BATCH SINCE: d2 long-polls hub 2 (20 s), d1 pushes
# BATCH through hub 1 once the wait is parked; the poll must answer with
# the change well before its 20 s.
longpoll_then_push() {
  local batch=$1 since=$2 t0 t1
  t0=$(now_ms)
  curl -sS -o "$WORK/poll" --max-time 60 -H "Authorization: Bearer $tok2" \
    -H "Sambang-Replica: $r2" \
    "${HUB_URLS[2]}/v1/changes?since=$since&wait=20" &
  local poll=$!
  URL=${HUB_URLS[2]}
  wait_metric sambang_hub_longpolls_open 1
  URL=${HUB_URLS[1]}
  push "$tok1" "$r1" "$batch"
  expect_status 200
  wait "$poll" || fail "the long-poll failed"
  t1=$(now_ms)
  grep -q '"record":' "$WORK/poll" || fail "the long-poll on hub 2 answered empty"
  [ $((t1 - t0)) -lt 10000 ] ||
    fail "the long-poll on hub 2 took $((t1 - t0)) ms to wake"
}

CASE="wake across hubs"
longpoll_then_push "$WORK/b1.json" 0

CASE="PostgreSQL down"
pg_stop immediate
URL=${HUB_URLS[1]}
push "$tok1" "$r1" "$WORK/b2.json"
expect_error 503 unavailable
expect_header 'Retry-After:'
URL=${HUB_URLS[2]}
pull "$tok2" "$r2" 'since=0'
expect_error 503 unavailable

CASE="PostgreSQL back"
pg_try_port "$PG_PORT" || fail "PostgreSQL did not restart"
URL=${HUB_URLS[1]}
n=0
until push "$tok1" "$r1" "$WORK/b2.json"; [ "$STATUS" = 200 ]; do
  n=$((n + 1))
  [ "$n" -lt 100 ] || fail "hub 1 did not reconnect"
  sleep 0.1
done
URL=${HUB_URLS[2]}
pull "$tok2" "$r2" 'since=0'
expect_status 200
[ "$(page_size)" -eq 2 ] || fail "hub 2 must serve both records after the restart"
last=$(page_next)

# Long-polls wake across hubs again once the LISTEN connection is back.
dev d1 put notes n3 '{"text":"three"}' >/dev/null
batch_of d1 >"$WORK/b3.json"
CASE="wake after restart"
n=0
until [ "$(grep -c 'notifications are back' "$WORK/hub2.log")" -ge 1 ]; do
  n=$((n + 1))
  [ "$n" -lt 1000 ] || fail "hub 2 did not listen again"
  sleep 0.02
done
longpoll_then_push "$WORK/b3.json" "$last"
hubs_stop
for i in 1 2; do
  [ "$(wc -l <"$WORK/hub$i.log")" -gt 0 ] || true
done
hub_export >"$WORK/hub.export"
dev d1 export >"$WORK/d1.export"
cmp -s "$WORK/hub.export" "$WORK/d1.export" || fail "the hub must hold d1's records exactly"
