#!/usr/bin/env bash
# Long-poll: a change feed request with wait=S is held until another
# device pushes (then it answers at once, with the change) or S seconds
# pass (then an empty page that keeps the cursor).
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tokA=$("$HUB" device add dev-a --scope all)
tokB=$("$HUB" device add dev-b --scope all)
rA=$(dev_init a)
rB=$(dev_init b)
dev a put notes n1 '{"title":"one"}' >/dev/null
batch_of a >"$WORK/b1.json"
start_hub
push "$tokA" "$rA" "$WORK/b1.json"
expect_status 200

# poll NAME QUERY [CURL_ARGS...]: a background long-poll by device B into
# $WORK/NAME (headers in $WORK/NAME.headers).
poll() {
  local name=$1 query=$2
  shift 2
  curl -sS --max-time 60 -o "$WORK/$name" -D "$WORK/$name.headers" \
    -w '%{http_code}' -H "Authorization: Bearer $tokB" \
    -H "Sambang-Replica: $rB" "$@" "$URL/v1/changes?$query" \
    >"$WORK/$name.status" &
}

# Nothing new after 1: three devices' worth of waiters are held...
poll w1 'since=1&wait=30'
p1=$!
poll w2 'since=1&wait=30'
p2=$!
poll w3 'since=1&wait=30&limit=1'
p3=$!
wait_metric sambang_hub_longpolls_open 3

# ...until device A pushes: all answer at once, with the change.
dev a put notes n2 '{"title":"two"}' >/dev/null
batch_of a >"$WORK/b2.json"
t0=$(now_ms)
push "$tokA" "$rA" "$WORK/b2.json"
expect_status 200
for p in $p1 $p2 $p3; do
  wait "$p" || fail "a long-poll failed"
done
t1=$(now_ms)
[ $((t1 - t0)) -lt 10000 ] || fail "the long-polls took $((t1 - t0)) ms to answer"
for w in w1 w2 w3; do
  [ "$(cat "$WORK/$w.status")" = 200 ] || fail "$w: status $(cat "$WORK/$w.status")"
  grep -qF '"id":"n2"' "$WORK/$w" || fail "$w must hold the new change"
  grep -qF '"more":false,"next":2,"scope":"all"}' "$WORK/$w" || fail "$w must end at 2"
  if grep -qF '"id":"n1"' "$WORK/$w"; then fail "$w must not repeat n1"; fi
done
[ "$(metric sambang_hub_longpolls_open)" = 0 ] || fail "no long-poll is open now"

# A push that changes nothing (a re-push) does not answer a waiter; a
# real change does.
poll w4 'since=2&wait=30'
p4=$!
wait_metric sambang_hub_longpolls_open 1
push "$tokA" "$rA" "$WORK/b2.json"
expect_status 200
[ "$(metric sambang_hub_longpolls_open)" = 1 ] ||
  fail "a push that stored nothing must not wake the waiter"
dev a put notes n3 '{"title":"three"}' >/dev/null
batch_of a >"$WORK/b3.json"
push "$tokA" "$rA" "$WORK/b3.json"
wait "$p4" || fail "long-poll w4 failed"
grep -qF '"id":"n3"' "$WORK/w4" || fail "w4 must hold n3"

# With a change already there, wait does not hold the request.
t0=$(now_ms)
pull "$tokB" "$rB" 'since=0&wait=30'
expect_status 200
[ "$(page_size)" -eq 3 ] || fail "three changes since 0"
[ $(($(now_ms) - t0)) -lt 10000 ] || fail "a ready page must not wait"

# Nothing comes: after wait seconds, an empty page keeping the cursor.
t0=$(now_ms)
pull "$tokB" "$rB" 'since=3&wait=1'
t1=$(now_ms)
expect_status 200
[ "$(cat "$BODY")" = '{"changes":[],"more":false,"next":3}' ] ||
  fail "a long-poll that times out answers an empty page"
[ $((t1 - t0)) -ge 900 ] || fail "wait=1 answered after only $((t1 - t0)) ms"

# A long-poll woken with a large page answers gzip'd when asked to.
poll w5 'since=3&wait=30' --compressed
p5=$!
wait_metric sambang_hub_longpolls_open 1
dev a put notes n4 "{\"text\":\"$(head -c 3000 /dev/zero | tr '\0' 'k')\"}" >/dev/null
batch_of a >"$WORK/b4.json"
push "$tokA" "$rA" "$WORK/b4.json"
wait "$p5"
grep -qF '"id":"n4"' "$WORK/w5" || fail "w5 must hold n4"
grep -qi '^Content-Encoding: gzip' "$WORK/w5.headers" || fail "w5 must be gzip'd"

# A push that commits while long-polls' queries run: a query that saw
# the feed before the commit, parked after it, would hold its poll until
# the next change (or its wait). 20 rounds of 8 polls and a push sent
# together, the push first every other round: every poll answers with
# its round's change at once. The hub counts the polls that read the feed
# again (sambang_hub_longpoll_requeries_total).
ROUNDS=20
for i in $(seq 1 $ROUNDS); do
  echo "{\"collection\":\"notes\",\"id\":\"race$i\",\"fields\":{\"text\":\"$i\"}}"
done >"$WORK/race.jsonl"
dev a import "$WORK/race.jsonl" >/dev/null || fail "import of the race notes"
dev a export | grep '"id":"race' |
  awk -v d="$WORK" '{ match($0, /"id":"race[0-9]+"/); id = substr($0, RSTART + 6, RLENGTH - 7);
    print "{\"records\":[" $0 "]}" > (d "/" id ".json") }'
since=4
t0=$(now_ms)
for i in $(seq 1 $ROUNDS); do
  pids=()
  if ! ((i % 2)); then
    push "$tokA" "$rA" "$WORK/race$i.json" &
    pids+=($!)
  fi
  for k in 1 2 3 4 5 6 7 8; do
    poll "race$k" "since=$since&wait=20"
    pids+=($!)
  done
  if ((i % 2)); then
    push "$tokA" "$rA" "$WORK/race$i.json"
    expect_status 200
  fi
  for p in "${pids[@]}"; do
    wait "$p" || fail "race $i: a long-poll or the push failed"
  done
  for k in 1 2 3 4 5 6 7 8; do
    [ "$(cat "$WORK/race$k.status")" = 200 ] || fail "race $i: status $(cat "$WORK/race$k.status")"
    grep -qF "\"id\":\"race$i\"" "$WORK/race$k" ||
      fail "race $i: a long-poll missed the push that raced it: $(head -c 300 "$WORK/race$k")"
  done
  since=$((since + 1))
done
echo "$((ROUNDS * 8)) polls raced by pushes in $(($(now_ms) - t0)) ms;" \
  "$(metric sambang_hub_longpoll_requeries_total) read the feed again"

stop_hub
