#!/usr/bin/env bash
# Push, pull in pages, idempotent re-push, a later edit, a conflict between
# two devices, and the hub's export equal to what the devices pushed.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok1=$("$HUB" device add laptop-1 --scope all)
tok2=$("$HUB" device add laptop-2 --scope all)
r1=$(dev_init d1)
r2=$(dev_init d2)

# Device 1 records people and visits; device 2 free-form notes.
siti=$(dev d1 beneficiary add --name "Siti Aminah" --group perempuan \
  --group miskin --kecamatan Pamulang --consent yes | tail -n 1)
budi=$(dev d1 beneficiary add --name Budi --group anak --kecamatan Setu \
  --consent yes | tail -n 1)
dev d1 visit add --beneficiary "$siti" --date 2026-11-20 \
  --programme women-food-business --outcome "started keripik stall" >/dev/null
dev d1 visit add --beneficiary "$budi" --date 2026-11-21 \
  --programme child-education >/dev/null
for i in 1 2 3 4 5 6 7; do
  dev d2 put notes "m$i" "{\"i\":$i,\"text\":\"note $i\"}" >/dev/null
done
dev d1 export >"$WORK/e1"
dev d2 export >"$WORK/e2"
n1=$(wc -l <"$WORK/e1")
n2=$(wc -l <"$WORK/e2")
[ "$n1" -eq 4 ] && [ "$n2" -eq 7 ] || fail "unexpected device exports"
batch_of d1 >"$WORK/b1.json"
batch_of d2 >"$WORK/b2.json"

start_hub

# An empty hub: an empty feed; health is fine.
req GET /v1/health
expect_status 200
expect_body_contains '{"status":"ok"}'
pull "$tok1" "$r1" 'since=0'
expect_status 200
[ "$(cat "$BODY")" = '{"changes":[],"more":false,"next":0,"scope":"all"}' ] ||
  fail "an empty hub must give an empty page"

# Push: one ok result per record, in request order, seqs 1..n.
push "$tok1" "$r1" "$WORK/b1.json"
expect_status 200
[ "$(grep -o '"ok":true' "$BODY" | wc -l)" -eq "$n1" ] || fail "all of d1 must be ok"
expect_body_contains '"last_seq":4,'
for s in 1 2 3 4; do expect_body_contains "\"seq\":$s}"; done
expect_body_contains "\"id\":\"$siti\",\"ok\":true"
cp "$BODY" "$WORK/reply1"

push "$tok2" "$r2" "$WORK/b2.json"
expect_status 200
[ "$(grep -o '"ok":true' "$BODY" | wc -l)" -eq "$n2" ] || fail "all of d2 must be ok"
expect_body_contains '"last_seq":11,'
cp "$BODY" "$WORK/reply2"

# Idempotent: the same batch again stores nothing new and answers the same.
push "$tok2" "$r2" "$WORK/b2.json"
expect_status 200
cmp -s "$BODY" "$WORK/reply2" || fail "a re-push must answer the same"
push "$tok1" "$r1" "$WORK/b1.json"
expect_status 200
[ "$(sed 's/"last_seq":[0-9]*,//' "$BODY")" = "$(sed 's/"last_seq":[0-9]*,//' "$WORK/reply1")" ] ||
  fail "a re-push must answer the same results and seqs"
expect_body_contains '"last_seq":11,'

# The feed holds each record once: 11 changes, no more.
pull "$tok1" "$r1" 'since=0&limit=1000'
expect_status 200
[ "$(page_size)" -eq 11 ] || fail "the feed must hold 11 changes"
expect_body_contains '"more":false,"next":11,"scope":"all"}'

# Pull in pages of 3: 3+3+3+2, "more" until the last, cursors advance.
: >"$WORK/pulled"
since=0
pages=0
while :; do
  pull "$tok2" "$r2" "since=$since&limit=3"
  expect_status 200
  n=$(page_size)
  [ "$n" -le 3 ] || fail "a page must hold at most limit changes"
  page_states >>"$WORK/pulled"
  next=$(page_next)
  [ "$next" -gt "$since" ] || fail "next must advance"
  # The headers say the same as the body (a device asks ahead with them).
  more=0
  grep -q '"more":true' "$BODY" && more=1
  tr -d '\r' <"$HEADERS" | grep -qix "sambang-next: $next" ||
    fail "page at $since: no Sambang-Next: $next header"
  tr -d '\r' <"$HEADERS" | grep -qix "sambang-more: $more" ||
    fail "page at $since: no Sambang-More: $more header"
  since=$next
  pages=$((pages + 1))
  if grep -q '"more":false' "$BODY"; then
    [ "$n" -eq 2 ] || fail "the last page must hold the 2 left"
    break
  fi
  [ "$n" -eq 3 ] || fail "a page with more after it must be full"
  [ "$pages" -lt 10 ] || fail "too many pages"
done
[ "$pages" -eq 4 ] || fail "expected 4 pages, got $pages"
[ "$since" -eq 11 ] || fail "the last cursor must be 11"
LC_ALL=C sort "$WORK/e1" "$WORK/e2" >"$WORK/pushed"
LC_ALL=C sort "$WORK/pulled" >"$WORK/pulled.sorted"
cmp -s "$WORK/pushed" "$WORK/pulled.sorted" ||
  fail "the pages must hold exactly the pushed states"

# A cursor at the end gives an empty page that keeps the cursor.
pull "$tok1" "$r1" 'since=11'
[ "$(cat "$BODY")" = '{"changes":[],"last":11,"more":false,"next":11,"scope":"all"}' ] ||
  fail "nothing after the last seq"

# The hub's export is what the devices pushed.
hub_export | LC_ALL=C sort >"$WORK/hub.sorted"
cmp -s "$WORK/pushed" "$WORK/hub.sorted" || fail "hub export != pushed states"

# A later edit: only that record comes back after the cursor, at seq 12.
dev d2 put notes m3 '{"text":"edited"}' >/dev/null
batch_of d2 >"$WORK/b2.json"
push "$tok2" "$r2" "$WORK/b2.json"
expect_status 200
expect_body_contains '"id":"m3","ok":true,"seq":12}'
expect_body_contains '"id":"m1","ok":true,"seq":5}'
pull "$tok1" "$r1" 'since=11'
[ "$(page_size)" -eq 1 ] || fail "one change after 11"
expect_body_contains '"value":"edited"'
expect_body_contains '"more":false,"next":12,"scope":"all"}'

# Two devices write the same record without seeing each other: the hub
# keeps both values as siblings, lists the conflict, and serves both.
dev d1 put notes shared '{"title":"from one","n":1}' >/dev/null
dev d2 put notes shared '{"title":"from two"}' >/dev/null
batch_of d1 >"$WORK/b1.json"
batch_of d2 >"$WORK/b2.json"
push "$tok1" "$r1" "$WORK/b1.json"
expect_status 200
push "$tok2" "$r2" "$WORK/b2.json"
expect_status 200
expect_body_contains '"id":"shared","ok":true,"seq":14}'
expect_hub_ok conflicts
[ "$(cat "$OUT")" = "$(printf 'notes\tshared\ttitle')" ] ||
  fail "conflicts must list notes/shared (title)"
hub_export | grep '"id":"shared"' >"$WORK/shared" || fail "no shared record"
grep -qF '"value":"from one"' "$WORK/shared" || fail "value of d1 lost"
grep -qF '"value":"from two"' "$WORK/shared" || fail "value of d2 lost"
grep -qF "\"vv\":{" "$WORK/shared" || fail "no vv"
grep -qF "\"$r1\":" "$WORK/shared" && grep -qF "\"$r2\":" "$WORK/shared" ||
  fail "the merged vv must hold both replicas"

stop_hub
grep -qE '^info: POST /v1/push 200 [0-9.]+ms [0-9]+B 127\.0\.0\.1 laptop-[12]$' "$WORK/hub.log" ||
  fail "one log line per request expected"
