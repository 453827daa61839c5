#!/usr/bin/env bash
# Pages made ahead (daemon/hub/DESIGN.md, "Pages ahead"): once a changes
# page that says more is ready is sent, the hub makes the next one and the
# device's request takes it. Such a page is one the device could have
# asked for then: a record written meanwhile comes in a later page, and
# paging to the end leaves the device with exactly the hub's states. A
# page made for another query or another scope is never served, nor one
# for a device revoked meanwhile (a long-poll beside the pages leaves it
# be); one nobody comes for is dropped. Runs on both backends
# (hub_pg.pages_ahead).
. "$(dirname "$0")/lib.sh"

ahead() { metric "sambang_hub_pages_ahead_total{outcome=\"$1\"}"; }
ids() { page_states | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | paste -sd' '; }
ben() { # ben ID KECAMATAN (on device o)
  dev o put beneficiary "$1" "{\"name\":\"Ibu $1\",\"groups\":[\"miskin\"],\"kecamatan\":\"$2\",\"consent\":true}" >/dev/null ||
    fail "put $1 failed"
}

expect_hub_ok init
tok_w=$("$HUB" device add writer --scope all)
tok_r=$("$HUB" device add reader --scope all)
tok_s=$("$HUB" device add setu --scope Setu)
r_w=$(dev_init w)
r_r=$(dev_init r)
r_s=$(dev_init s)
r_o=$(dev_init o)
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
  dev w put notes "n$i" '{"t":"v1"}' >/dev/null || fail "put n$i"
done
batch_of w >"$WORK/v1.json"
start_hub
push "$tok_w" "$r_w" "$WORK/v1.json"
expect_status 200
# The feed's order, in one page (none made ahead: nothing more).
pull "$tok_w" "$r_w" "since=0&limit=100"
read -r -a order <<<"$(ids)"
[ "${#order[@]}" = 12 ] || fail "the feed holds ${#order[@]} notes, not 12"
[ "$(ahead made)" = 0 ] || fail "a page made ahead after a last page"

CASE="a page made ahead, then a write"
pull "$tok_r" "$r_r" "since=0&limit=4"
expect_status 200
page_states >"$WORK/seen"
since=$(page_next)
wait_metric 'sambang_hub_pages_ahead_total{outcome="made"}' 1
# The sixth note changes after its page was made: it moves to the end.
sixth=${order[5]}
dev w put notes "$sixth" '{"t":"v2"}' >/dev/null
batch_of w >"$WORK/v2.json"
push "$tok_w" "$r_w" "$WORK/v2.json"
expect_status 200
pull "$tok_r" "$r_r" "since=$since&limit=4"
expect_status 200
[ "$(ahead used)" = 1 ] || fail "the second page was not the one made ahead"
[ "$(ids)" = "${order[*]:4:4}" ] ||
  fail "the page made ahead holds [$(ids)], not [${order[*]:4:4}]"
page_states >>"$WORK/seen"
pages=2
while grep -q '"more":true' "$BODY"; do
  since=$(page_next)
  pull "$tok_r" "$r_r" "since=$since&limit=4"
  expect_status 200
  page_states >>"$WORK/seen"
  pages=$((pages + 1))
  [ "$pages" -le 10 ] || fail "no end after 10 pages"
done
[ "$(ahead used)" = $((pages - 1)) ] ||
  fail "$(ahead used) pages made ahead were used, not $((pages - 1))"
# The last state seen of each record is the hub's.
awk '{ match($0, /"id":"[^"]*"/); last[substr($0, RSTART, RLENGTH)] = $0 }
     END { for (k in last) print last[k] }' "$WORK/seen" | sort >"$WORK/last"
hub_export | grep '"collection":"notes"' | sort >"$WORK/hub"
cmp -s "$WORK/last" "$WORK/hub" ||
  fail "paging to the end did not leave the hub's states: $(diff "$WORK/last" "$WORK/hub" | head -5)"
grep "\"id\":\"$sixth\"" "$WORK/last" | grep -q '"v2"' ||
  fail "the note written meanwhile was not sent again"

CASE="a long-poll beside the pages"
# A device keeps a long-poll open beside its cycle's pages: it neither
# takes nor drops the page made ahead for the cycle.
pull "$tok_w" "$r_w" "since=0&limit=100"
end=$(page_next)
u0=$(ahead used)
m0=$(ahead made)
pull "$tok_r" "$r_r" "since=0&limit=4"
since=$(page_next)
wait_metric 'sambang_hub_pages_ahead_total{outcome="made"}' $((m0 + 1))
pull "$tok_r" "$r_r" "since=$end&limit=4&wait=1"
expect_status 200
[ "$(page_size)" = 0 ] || fail "the long-poll found news"
pull "$tok_r" "$r_r" "since=$since&limit=4"
[ "$(ahead used)" = $((u0 + 1)) ] || fail "the long-poll dropped the page made ahead"
while grep -q '"more":true' "$BODY"; do
  pull "$tok_r" "$r_r" "since=$(page_next)&limit=4"
done

CASE="another query"
m0=$(ahead made)
d0=$(ahead dropped)
u0=$(ahead used)
pull "$tok_r" "$r_r" "since=0&limit=4"
wait_metric 'sambang_hub_pages_ahead_total{outcome="made"}' $((m0 + 1))
pull "$tok_r" "$r_r" "since=0&limit=3"
expect_status 200
[ "$(ids)" = "${order[*]:0:3}" ] || fail "limit=3 got [$(ids)]"
wait_metric 'sambang_hub_pages_ahead_total{outcome="dropped"}' $((d0 + 1))
[ "$(ahead used)" = "$u0" ] || fail "a page made for limit=4 was used"
# The device asked for another page than the one made for it (as one
# asking through several hubs in turn does): none is made for it for a
# while, so its next page is made when asked.
pull "$tok_r" "$r_r" "since=$(page_next)&limit=3"
expect_status 200
[ "$(ahead used)" = "$u0" ] || fail "a page was made ahead for a device cooling down"

CASE="a scope changed meanwhile"
tok_o=$("$HUB" device add office --scope all)
for i in 1 2 3 4 5; do
  ben "s$i" Setu
  ben "p$i" Pamulang
done
batch_of o >"$WORK/ben.json"
push "$tok_o" "$r_o" "$WORK/ben.json"
expect_status 200
m0=$(ahead made)
d0=$(ahead dropped)
u0=$(ahead used)
pull "$tok_s" "$r_s" "since=0&limit=2"
expect_status 200
grep -q '"more":true' "$BODY" || fail "one page of 2 holds all of Setu"
since=$(page_next)
wait_metric 'sambang_hub_pages_ahead_total{outcome="made"}' $((m0 + 1))
"$HUB" device scope setu --set Pamulang >/dev/null
pull "$tok_s" "$r_s" "since=$since&limit=2"
expect_status 200
grep -q '"scope":"Pamulang"' "$BODY" || fail "the page is not of the new scope"
if ids | grep -qw 's[0-9]'; then
  fail "a Setu record after the scope moved: [$(ids)]"
fi
wait_metric 'sambang_hub_pages_ahead_total{outcome="dropped"}' $((d0 + 1))
[ "$(ahead used)" = "$u0" ] || fail "the page made for Setu was used"

CASE="a device revoked meanwhile"
m0=$(ahead made)
u0=$(ahead used)
pull "$tok_w" "$r_w" "since=0&limit=4"
expect_status 200
since=$(page_next)
wait_metric 'sambang_hub_pages_ahead_total{outcome="made"}' $((m0 + 1))
"$HUB" device revoke writer >/dev/null
pull "$tok_w" "$r_w" "since=$since&limit=4"
expect_status 403
[ "$(ahead used)" = "$u0" ] || fail "a revoked device was sent its page"

CASE="a page nobody comes for"
# The revoked device's page is held, then dropped once the idle hub finds
# it older than 10 s (HUB_AHEAD_TTL_MS): every page made is used or
# dropped.
held() { echo $(($(ahead made) - $(ahead used) - $(ahead dropped))); }
[ "$(held)" -gt 0 ] || fail "no page held for the revoked device"
n=0
until [ "$(held)" = 0 ]; do
  n=$((n + 1))
  [ "$n" -lt 150 ] || fail "$(held) pages made ahead are still held after 30 s"
  sleep 0.2
done
echo "ok"
