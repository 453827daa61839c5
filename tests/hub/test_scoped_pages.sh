#!/usr/bin/env bash
# A scoped device paging through the feed in small pages gets every record
# of its scope, whatever the pages pass over: its own echoes (skip_own=1)
# and records of other parts. A backend whose result comes whole reads
# only as many rows as the page can take (hub_store_pg_feed_parts) and
# must then say more may follow, or the device's cursor would jump past
# records it never saw. Runs on both backends (hub_pg.scoped_pages).
. "$(dirname "$0")/lib.sh"

ben() { # ben DEVICE ID KECAMATAN
  dev "$1" put beneficiary "$2" "{\"name\":\"Ibu $2\",\"groups\":[\"miskin\"],\"kecamatan\":\"$3\",\"consent\":true}" >/dev/null ||
    fail "put $2 failed"
}

expect_hub_ok init
tok_s=$("$HUB" device add setu --scope Setu)
tok_o=$("$HUB" device add office --scope all)
r_s=$(dev_init ds)
r_o=$(dev_init do)
for i in 1 2 3 4 5; do ben ds own$i Setu; done
ben do p1 Pamulang
ben do s1 Setu
ben do p2 Pamulang
ben do s2 Setu
batch_of ds >"$WORK/own.json"
batch_of do >"$WORK/office.json"
start_hub
push "$tok_s" "$r_s" "$WORK/own.json" # feed numbers 1-5: its echoes
expect_status 200
push "$tok_o" "$r_o" "$WORK/office.json" # 6-9
expect_status 200

# Pages of 2 with skip_own: the first pages hold nothing but echoes.
since=0
pages=0
: >"$WORK/got"
while :; do
  pull "$tok_s" "$r_s" "since=$since&limit=2&skip_own=1"
  expect_status 200
  page_states | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' >>"$WORK/got"
  next=$(page_next)
  [ "$next" -ge "$since" ] || fail "the cursor went back: $since -> $next"
  since=$next
  pages=$((pages + 1))
  [ "$pages" -le 20 ] || fail "no end after 20 pages"
  grep -q '"more":true' "$BODY" || break
done
got=$(sort "$WORK/got" | paste -sd' ')
[ "$got" = "s1 s2" ] || fail "the Setu device got [$got], not [s1 s2]"
[ "$since" = 9 ] || fail "the last page's next is $since, not 9"
echo "ok"
