#!/usr/bin/env bash
# Values are never changed silently, and a push of huge arrays never
# becomes a huge tree (issue 9, items 5-6): with a valid device token,
#  - a push holding "a\u0000b", 1e999, -1e400 or 2^53+1 anywhere in a
#    record is refused whole, 400 malformed naming the record ("record":0)
#    and the hazard; the hub's store is unchanged;
#  - 2^53, -2^53, 1e308 and "a\u0001b" are stored and come back exactly;
#  - a 15 MB push of 500k-element arrays (over the 10,000 elements a JSON
#    array may hold) is refused, 400 malformed with "record":0, and the
#    hub's peak RSS (VmHWM) stays under 64 MB (before: 632 MB, stored);
#  - a 15 MB push of 10,000-element arrays (as large as allowed) is read one
#    record's tree at a time: peak RSS under 128 MB.
. "$(dirname "$0")/lib.sh"
# The bounds are for a plain build; AddressSanitizer's allocator (redzones,
# quarantine) multiplies what a tree of 150,000 values costs, so an ASan
# hub gets 8 times the room (the figures are printed either way).
RSS_SCALE=1
# (Linked in or shared, a sanitizer's runtime is entered by its init.)
if grep -qa -e __asan_init -e __tsan_init "$HUB"; then
  RSS_SCALE=8 # ThreadSanitizer's shadow memory likewise
fi

expect_hub_ok init
tok=$("$HUB" device add dev-a --scope all)
r=$(dev_init a)
start_hub

# state ID VALUE: one record state of replica $r, field "v" = VALUE.
state() {
  printf '{"collection":"notes","deleted":false,"fields":{"v":[{"dot":["%s",1],"ts":1714550400000000,"value":%s}]},"id":"%s","tombstones":[],"vv":{"%s":1}}' \
    "$r" "$2" "$1" "$r"
}

# A good record first, so the store has something to keep unchanged.
{ printf '{"records":['; state keep '"k"'; printf ']}'; } >"$WORK/keep.json"
push "$tok" "$r" "$WORK/keep.json"
expect_status 200
snapshot

i=0
for bad in '"a\u0000b"' '1e999' '-1e400' '9007199254740993' '-9007199254740993' \
  '{"a\u0000":1}' '[1,"x\u0000"]' '1e-400'; do
  i=$((i + 1))
  { printf '{"records":['; state "bad$i" "$bad"; printf ']}'; } >"$WORK/bad.json"
  push "$tok" "$r" "$WORK/bad.json"
  expect_error 400 malformed
  grep -q '"record":0}}$' "$BODY" || fail "$bad: the refusal must name record 0"
  grep -Eq 'NUL character|too large for a double|beyond \+-2\^53|too small for a double' \
    "$BODY" || fail "$bad: the message must name the hazard"
  expect_unchanged
done

# Counters beyond 2^53: refused by the strict pass, not rounded to 2^53.
state cnt '1' | sed 's/"vv":{"[^"]*":1}/"vv":{"'"$r"'":9007199254740993}/' |
  { printf '{"records":['; cat; printf ']}'; } >"$WORK/bad.json"
push "$tok" "$r" "$WORK/bad.json"
expect_error 400 malformed
grep -q 'beyond +-2^53' "$BODY" || fail "counter 2^53+1 must be named"
expect_unchanged

# Values at the limits: stored and given back exactly.
for good in 9007199254740992 -9007199254740992 1e308 '"a\u0001b"'; do
  i=$((i + 1))
  { printf '{"records":['; state "good$i" "$good"; printf ']}'; } >"$WORK/good.json"
  push "$tok" "$r" "$WORK/good.json"
  expect_status 200
  grep -q '"ok":true' "$BODY" || fail "$good must be accepted"
done
hub_export >"$WORK/export"
for want in '"value":9007199254740992}' '"value":-9007199254740992}' \
  '"value":1e+308}' '"value":"a\u0001b"}'; do
  grep -qF "$want" "$WORK/export" || fail "export lacks $want"
done
snapshot

# 15 MB of 500k-element arrays: refused before any tree is built.
zeros500k=$WORK/z500k
zeros() { awk -v n="$1" 'BEGIN { printf "[0"; for (i = 1; i < n; i++) printf ",0"; printf "]" }'; }
zeros 500000 >"$zeros500k"
{
  printf '{"records":['
  for n in $(seq 1 15); do
    [ "$n" -eq 1 ] || printf ','
    state "arr$n" "$(cat "$zeros500k")"
  done
  printf ']}'
} >"$WORK/huge.json"
size=$(wc -c <"$WORK/huge.json")
[ "$size" -gt 15000000 ] || fail "the body must be 15 MB ($size)"
before=$(peak_kb)
push "$tok" "$r" "$WORK/huge.json"
expect_error 400 malformed
grep -q '"record":0}}$' "$BODY" || fail "500k array: record 0 must be named"
grep -q 'more than 10000 elements' "$BODY" || fail "500k array: the cap must be named"
after=$(peak_kb)
echo "500k arrays: VmHWM before ${before} kB, after ${after} kB"
[ "$after" -lt $((65536 * RSS_SCALE)) ] || fail "peak RSS ${after} kB over $((64 * RSS_SCALE)) MB"
expect_unchanged

# 15 MB of 10,000-element arrays (the most allowed), 1 MB per record:
# decoded one record's tree at a time.
zeros10k=$WORK/z10k
zeros 10000 >"$zeros10k"
fields=$(for f in $(seq 1 50); do
  printf '"f%02d":[{"dot":["%s",1],"ts":1714550400000000,"value":%s}],' \
    "$f" "$r" "$(cat "$zeros10k")"
done)
{
  printf '{"records":['
  for n in $(seq 1 15); do
    [ "$n" -eq 1 ] || printf ','
    printf '{"collection":"notes","deleted":false,"fields":{%s},"id":"wide%d","tombstones":[],"vv":{"%s":1}}' \
      "${fields%,}" "$n" "$r"
  done
  printf ']}'
} >"$WORK/wide.json"
size=$(wc -c <"$WORK/wide.json")
[ "$size" -gt 15000000 ] || fail "the wide body must be 15 MB ($size)"
push "$tok" "$r" "$WORK/wide.json"
expect_status 200
[ "$(grep -o '"ok":true' "$BODY" | wc -l)" -eq 15 ] || fail "15 wide records ok"
after=$(peak_kb)
echo "10k arrays: VmHWM ${after} kB"
[ "$after" -lt $((131072 * RSS_SCALE)) ] ||
  fail "peak RSS ${after} kB over $((128 * RSS_SCALE)) MB"

curl -sS --max-time 5 "$URL/v1/health" | grep -q '"ok"' || fail "health"
stop_hub
echo "ok"
