#!/usr/bin/env bash
# Many devices push overlapping records at the same time (each batch three
# times, with pulls in between): the hub's final state equals the merge of
# all pushes, i.e. a second hub that gets the same batches one at a time,
# in the opposite order, exports exactly the same bytes.
. "$(dirname "$0")/lib.sh"

DEVICES=6
expect_hub_ok init
for d in $(seq 1 $DEVICES); do
  tok[d]=$("$HUB" device add "dev-$d" --scope all)
  rep[d]=$(dev_init "d$d")
  # Records everyone writes (concurrent edits: conflicts), some fields
  # only some devices write (clean merges), and records of its own.
  for s in 1 2 3 4; do
    dev "d$d" put notes "shared-$s" "{\"title\":\"by $d\",\"f$((d % 3))\":$d}" >/dev/null
  done
  dev "d$d" put notes "shared-5" "{\"title\":\"by $d\"}" >/dev/null
  [ $((d % 2)) -eq 0 ] && dev "d$d" rm notes shared-5 >/dev/null
  for i in $(seq 1 30); do
    printf '{"collection":"notes","fields":{"i":%d},"id":"own-%d-%d"}\n' "$i" "$d" "$i"
  done >"$WORK/own$d.jsonl"
  dev "d$d" import "$WORK/own$d.jsonl" >/dev/null
  dev "d$d" put notes "shared-1" "{\"again\":$d}" >/dev/null
  batch_of "d$d" >"$WORK/batch$d.json"
done

start_hub
pids=()
for round in 1 2 3; do
  for d in $(seq 1 $DEVICES); do
    curl -sS --max-time 60 -o "$WORK/reply$d.$round" -w '%{http_code}' \
      -H "Authorization: Bearer ${tok[d]}" -H "Sambang-Replica: ${rep[d]}" \
      -H 'Content-Type: application/json' --data-binary @"$WORK/batch$d.json" \
      "$URL/v1/push" >"$WORK/status$d.$round" &
    pids+=($!)
    curl -sS --max-time 60 -o "$WORK/pull$d.$round" -w '%{http_code}' \
      -H "Authorization: Bearer ${tok[d]}" -H "Sambang-Replica: ${rep[d]}" \
      "$URL/v1/changes?since=0&limit=1000" >"$WORK/pstatus$d.$round" &
    pids+=($!)
  done
done
for p in "${pids[@]}"; do
  wait "$p" || fail "a concurrent request failed"
done
for round in 1 2 3; do
  for d in $(seq 1 $DEVICES); do
    STATUS=$(cat "$WORK/status$d.$round")
    expect_status 200
    [ "$(grep -o '"ok":true' "$WORK/reply$d.$round" | wc -l)" -eq 35 ] ||
      fail "device $d round $round: all 35 records must be ok"
    STATUS=$(cat "$WORK/pstatus$d.$round")
    expect_status 200
  done
done
hub_export >"$WORK/export1"
expect_hub_ok conflicts
cp "$OUT" "$WORK/conflicts1"
# Every device's records are all there, and every shared one is merged.
[ "$(wc -l <"$WORK/export1")" -eq $((DEVICES * 30 + 5)) ] || fail "record count"
for s in 1 2 3 4 5; do
  grep -q "^notes	shared-$s	" "$WORK/conflicts1" || fail "shared-$s must be in conflict"
  line=$(grep "\"id\":\"shared-$s\"" "$WORK/export1")
  for d in $(seq 1 $DEVICES); do
    case $line in *"\"${rep[d]}\":"*) ;; *) fail "shared-$s lacks device $d" ;; esac
  done
done
grep -q "^notes	shared-5	title,(deleted)$" "$WORK/conflicts1" ||
  fail "shared-5: a delete met edits it had not seen"
# The feed holds each record once.
pull "${tok[1]}" "${rep[1]}" 'since=0&limit=1000'
[ "$(page_size)" -eq $((DEVICES * 30 + 5)) ] || fail "the feed holds each record once"
stop_hub

# A second hub, one batch at a time, in the opposite order.
export SAMBANG_HUB_DB=$WORK/hub2.db
expect_hub_ok init
for d in $(seq 1 $DEVICES); do
  tok[d]=$("$HUB" device add "dev-$d" --scope all)
done
start_hub
for d in $(seq $DEVICES -1 1); do
  push "${tok[d]}" "${rep[d]}" "$WORK/batch$d.json"
  expect_status 200
done
hub_export >"$WORK/export2"
cmp -s "$WORK/export1" "$WORK/export2" ||
  fail "concurrent pushes must give the same state as sequential ones"
expect_hub_ok conflicts
cmp -s "$OUT" "$WORK/conflicts1" || fail "the same conflicts"
stop_hub
