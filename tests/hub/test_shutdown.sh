#!/usr/bin/env bash
# SIGTERM/SIGINT: the hub stops accepting, answers held long-polls with an
# empty page, finishes requests in flight, closes the store cleanly and
# exits 0; the store is whole afterwards and serves again.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok=$("$HUB" device add dev-a --scope all)
r=$(dev_init a)
for i in $(seq 1 300); do
  printf '{"collection":"notes","id":"n%s","fields":{"i":%s,"text":"%s"}}\n' \
    "$i" "$i" "$(head -c 200 /dev/zero | tr '\0' 'x')"
done >"$WORK/import.jsonl"
dev a import "$WORK/import.jsonl" >/dev/null
batch_of a >"$WORK/batch.json"

# Store work in flight must be finished, not cut off: hold the store's
# write lock (sqlite3) so a push waits inside the hub when the signal comes.
export SAMBANG_BUSY_TIMEOUT_MS=30000
start_hub
port=${URL##*:}
curl -sS --max-time 60 -o "$WORK/held" -w '%{http_code}' \
  -H "Authorization: Bearer $tok" -H "Sambang-Replica: $r" \
  "$URL/v1/changes?since=0&wait=60" >"$WORK/held.status" &
held=$!
wait_metric sambang_hub_longpolls_open 1

lock_store

curl -sS --max-time 60 -o "$WORK/pushed" -w '%{http_code}' \
  -H "Authorization: Bearer $tok" -H "Sambang-Replica: $r" \
  -H 'Content-Type: application/json' --data-binary @"$WORK/batch.json" \
  "$URL/v1/push" >"$WORK/pushed.status" &
pusher=$!
wait_metric sambang_hub_requests_at_work 1

kill -TERM "$HUB_PID"
# The held long-poll is answered at once with an empty page.
wait "$held" || fail "the held long-poll failed"
[ "$(cat "$WORK/held.status")" = 200 ] || fail "held long-poll: $(cat "$WORK/held.status")"
[ "$(cat "$WORK/held")" = '{"changes":[],"more":false,"next":0}' ] ||
  fail "held long-poll: not an empty page"
# No new connections while draining.
if curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$port/v1/health" 2>/dev/null; then
  fail "the hub still accepts connections while stopping"
fi
# Let the push go on: it completes, all of it, and then the hub exits 0.
unlock_store
wait "$pusher" || fail "the push in flight failed"
[ "$(cat "$WORK/pushed.status")" = 200 ] || fail "push in flight: $(cat "$WORK/pushed.status")"
[ "$(grep -o '"ok":true' "$WORK/pushed" | wc -l)" -eq 300 ] || fail "300 ok"
t0=$(now_ms)
cat <&3 >/dev/null
rc=0
wait "$HUB_PID" || rc=$?
HUB_PID=
[ "$rc" -eq 0 ] || fail "the hub exited $rc after SIGTERM"
[ $(($(now_ms) - t0)) -lt 15000 ] || fail "shutdown took too long"
unset SAMBANG_BUSY_TIMEOUT_MS
[ "$(hub_export | wc -l)" -eq 300 ] || fail "300 records stored"
grep -q 'signal 15: stopping' "$WORK/hub.log" || fail "log the signal"
grep -q 'info: stopped' "$WORK/hub.log" || fail "log the stop"
if grep -q 'open handles' "$WORK/hub.log"; then fail "handles left open"; fi

# The store is whole: it serves again (the same batch is all unchanged),
# and SIGINT stops it too.
start_hub
push "$tok" "$r" "$WORK/batch.json"
expect_status 200
[ "$(metric sambang_hub_records_unchanged_total)" = 300 ] || fail "re-push: unchanged"
kill -INT "$HUB_PID"
cat <&3 >/dev/null
wait "$HUB_PID" || fail "SIGINT: exit $?"
HUB_PID=
grep -q 'signal 2: stopping' "$WORK/hub.log" || fail "log SIGINT"
