#!/usr/bin/env bash
# Pages made ahead (daemon/hub/DESIGN.md, "Pages ahead") with two hubs on
# one PostgreSQL database, a device's pages going to each in turn (a load
# balancer without stickiness): each hub makes a page ahead for a request
# that then goes to the other, finds the device asking for another page,
# and makes no more for it for a while; so the hubs do not each make
# every page twice. The device still gets every record.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../hub/lib.sh"
. "$(dirname "$0")/hubs.sh"

hub_metric() { # hub_metric I NAME
  curl -sS --max-time 10 "${HUB_URLS[$1]}/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
made() { echo $(($(hub_metric 1 "$1") + $(hub_metric 2 "$1"))); }
M='sambang_hub_pages_ahead_total{outcome="made"}'
U='sambang_hub_pages_ahead_total{outcome="used"}'
D='sambang_hub_pages_ahead_total{outcome="dropped"}'

expect_hub_ok init
tok_w=$("$HUB" device add writer --scope all)
tok_r=$("$HUB" device add reader --scope all)
r_w=$(dev_init w)
r_r=$(dev_init r)
for i in $(seq -w 1 20); do
  printf '{"collection":"notes","fields":{"t":"v1"},"id":"n%s"}\n' "$i"
done >"$WORK/n.jsonl"
dev w import "$WORK/n.jsonl" >/dev/null || fail "import of n01-n20"
batch_of w >"$WORK/b.json"
hubs_start 2
URL=${HUB_URLS[1]}
push "$tok_w" "$r_w" "$WORK/b.json"
expect_status 200

since=0
pages=0
: >"$WORK/got"
while :; do
  URL=${HUB_URLS[$((pages % 2 + 1))]}
  pull "$tok_r" "$r_r" "since=$since&limit=2"
  expect_status 200
  page_states | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' >>"$WORK/got"
  since=$(page_next)
  pages=$((pages + 1))
  [ "$pages" -le 20 ] || fail "no end after 20 pages"
  grep -q '"more":true' "$BODY" || break
done
[ "$(sort -u "$WORK/got" | wc -l)" = 20 ] ||
  fail "the device got $(sort -u "$WORK/got" | wc -l) notes, not 20"
# Every page made is done with (dropped: none was used).
n=0
until [ "$(made "$M")" = $(($(made "$U") + $(made "$D"))) ]; do
  n=$((n + 1))
  [ "$n" -lt 400 ] || fail "pages made ahead are still being made"
  sleep 0.05
done
[ "$(made "$M")" -le 2 ] ||
  fail "the hubs made $(made "$M") pages ahead for $pages pages asked in turn"
hubs_stop
echo "ok"
