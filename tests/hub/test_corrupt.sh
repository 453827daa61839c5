#!/usr/bin/env bash
# A hub on a damaged store: `sambang-hub check` names the problem (exit
# 6); `serve` starts (reads answer where the pages allow), logs the
# failed quick check, answers /v1/health with 503 and refuses pushes with
# 503, `compact` refuses (exit 6), and nothing changes the file. A sound store checks ok.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
token=$("$HUB" device add d1 --scope all) || fail "device add failed"
expect_hub_ok check
[ "$(cat "$OUT")" = ok ] || fail "check of a sound store does not say ok"
expect_hub_fail 2 check extra

# Fill the hub's store: d1 pushes 301 records (which binds its replica).
for i in $(seq 1 300); do
  printf '{"collection":"notes","id":"n%03d","fields":{"text":"%0200d"}}\n' \
    "$i" "$i"
done >"$WORK/many.jsonl"
replica=$(dev_init d1)
dev d1 import "$WORK/many.jsonl" >/dev/null || fail "filling d1 failed"
dev d1 put notes mine '{"x":1}' >/dev/null
batch_of d1 >"$WORK/push.json"
start_hub
req GET /v1/health
expect_status 200
push "$token" "$replica" "$WORK/push.json"
expect_status 200
stop_hub

# Sound pages, one record no writer makes: check reads every record, names
# it (exit 6) and marks the store, so the hub takes no write; once the row
# is sound again check passes and the hub takes writes.
sqlite3 "$SAMBANG_HUB_DB" "UPDATE records SET state = replace(state, '\"deleted\":false', '\"deleted\":0') WHERE id = 'n010'"
expect_hub_fail 6 check
grep -q '^record notes/n010 cannot be read (record notes/n010: "deleted" must be true or false)$' "$OUT" ||
  fail "check does not name the unreadable record: $(cat "$OUT")"
[ "$(wc -l <"$OUT")" = 1 ] || fail "check names sound records too: $(cat "$OUT")"
grep -q '1 record(s) cannot be read' "$ERR" || fail "check's error: $(cat "$ERR")"
start_hub
req GET /v1/health
expect_error 503 unavailable
stop_hub
sqlite3 "$SAMBANG_HUB_DB" "UPDATE records SET state = replace(state, '\"deleted\":0', '\"deleted\":false') WHERE id = 'n010'"
expect_hub_ok check
[ "$(cat "$OUT")" = ok ] || fail "check after the repair: $(cat "$OUT")"
start_hub
req GET /v1/health
expect_status 200
stop_hub

bash "$(dirname "$0")/../tools/garble_pages.sh" "$SAMBANG_HUB_DB"
before=$(sha256sum <"$SAMBANG_HUB_DB")

expect_hub_fail 6 check
grep -q "is corrupt" "$ERR" || fail "check does not say corrupt"
grep -q "Page [0-9]" "$OUT" || fail "check does not list the damaged pages"

start_hub
grep -q "quick check: .*corrupt" "$WORK/hub.log" || fail "no log of the check"
req GET /v1/health
expect_error 503 unavailable
expect_body_contains "corrupt"
dev d1 put notes mine2 '{"x":2}' >/dev/null
batch_of d1 >"$WORK/push.json"
push "$token" "$replica" "$WORK/push.json"
expect_error 503 unavailable
stop_hub
expect_hub_fail 6 compact
grep -q "sambang-hub check" "$ERR" || fail "compact must name sambang-hub check"
[ "$(sha256sum <"$SAMBANG_HUB_DB")" = "$before" ] || fail "the hub changed the damaged store"

echo "ok"
