#!/usr/bin/env bash
# Overload and a busy store: more requests at work than --max-inflight get
# 429 slow_down with Retry-After; a store locked past the busy timeout
# gives 503 unavailable with Retry-After; neither changes anything.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok=$("$HUB" device add dev-a --scope all)
r=$(dev_init a)
dev a put notes n1 '{"t":1}' >/dev/null
batch_of a >"$WORK/batch.json"

# One request at a time; a push that waits on the locked store fills it.
export SAMBANG_BUSY_TIMEOUT_MS=30000
start_hub --max-inflight 1
pull "$tok" "$r" 'since=0' # binds the token
expect_status 200
lock_store
curl -sS --max-time 60 -o "$WORK/first" -w '%{http_code}' \
  -H "Authorization: Bearer $tok" -H "Sambang-Replica: $r" \
  -H 'Content-Type: application/json' --data-binary @"$WORK/batch.json" \
  "$URL/v1/push" >"$WORK/first.status" &
first=$!
wait_metric sambang_hub_requests_at_work 1
push "$tok" "$r" "$WORK/batch.json"
expect_error 429 slow_down
expect_header 'Retry-After: 1'
pull "$tok" "$r" 'since=0'
expect_error 429 slow_down
# Health and metrics do not queue behind the store lock's writer.
req GET /metrics
expect_status 200
unlock_store
wait "$first" || fail "the first push failed"
[ "$(cat "$WORK/first.status")" = 200 ] || fail "the first push must succeed"
[ "$(hub_export | wc -l)" -eq 1 ] || fail "the first push is stored"
[ "$(metric 'sambang_hub_requests_total{route="push",status="429"}')" = 1 ] ||
  fail "429s are counted"
stop_hub

# A store locked past the busy timeout: 503 with Retry-After, nothing
# stored; the hub keeps serving once the lock is gone.
export SAMBANG_BUSY_TIMEOUT_MS=200
dev a put notes n2 '{"t":2}' >/dev/null
batch_of a >"$WORK/batch2.json"
start_hub
snapshot
lock_store
push "$tok" "$r" "$WORK/batch2.json"
expect_error 503 unavailable
expect_header 'Retry-After:'
expect_body_contains 'locked'
unlock_store
expect_unchanged
push "$tok" "$r" "$WORK/batch2.json"
expect_status 200
expect_body_contains '"id":"n2","ok":true,"seq":2}'
stop_hub
