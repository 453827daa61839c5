#!/usr/bin/env bash
# Pushes held aside and tried together (daemon/hub/hub_push_held.c): a
# push that carries another device's write the hub never saw is refused
# (forged_dot) and held; a later push that needs it is tried with it, and
# each is checked as a push of its own against the hub's state and the
# others. Two devices that each carry the other's write get both in; two
# colluding devices that also drop a third device's entry get nothing in,
# in either order, and the third's entry stays. A held push nobody
# vouches for is swept after 8 days.
. "$(dirname "$0")/lib.sh"

"$HUB" init >/dev/null
tokH=$("$HUB" device add honest --scope all)
tokF=$("$HUB" device add f --scope all)
tokG=$("$HUB" device add g --scope all)
rH=$(dev_init h)
rF=$(dev_init f)
rG=$(dev_init g)
dev h put notes n '{"text":"keep me"}' >/dev/null
batch_of h >"$WORK/h.json"
start_hub
push "$tokH" "$rH" "$WORK/h.json"
expect_status 200
text=$(dev h export | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["fields"]["text"]))')
ts=$(($(now_ms) * 1000))

# state ID KEEP: f's write x and g's write y of record ID; with h's
# entry if KEEP is 1, having seen it and dropped it if 0, never having
# seen it if "-".
state() {
  local fields vv='"'$rF'":1,"'$rG'":1'
  fields='"x":[{"dot":["'$rF'",1],"ts":'$ts',"value":"by f"}],"y":[{"dot":["'$rG'",1],"ts":'$ts',"value":"by g"}]'
  [ "$2" = 1 ] && fields='"text":'$text','$fields
  [ "$2" = - ] || vv=$vv',"'$rH'":1'
  printf '{"records":[{"collection":"notes","deleted":false,"fields":{%s},"id":"%s","tombstones":[],"vv":{%s}}]}' \
    "$fields" "$1" "$vv" >"$WORK/state.json"
}
held_rows() {
  if [ -f "$SAMBANG_HUB_DB" ]; then
    sqlite3 "$SAMBANG_HUB_DB" "SELECT count(*) FROM meta WHERE key LIKE 'held/%'"
  else
    echo "?"
  fi
}

CASE="colluders drop an entry"
state n 0
for who in F G F G; do
  tok=tok$who r=r$who
  push "${!tok}" "${!r}" "$WORK/state.json"
  expect_status 200
  grep -q '"ok":false' "$BODY" || fail "$who's push must be refused: $(cat "$BODY")"
  grep -q '"code":"forged_dot"' "$BODY" || fail "refused as forged_dot: $(cat "$BODY")"
  grep -q 'held aside' "$BODY" || fail "the refusal must say it is held: $(cat "$BODY")"
done
hub_export >"$OUT"
grep -q 'keep me' "$OUT" || fail "h's entry must stay"
if grep -q 'by f\|by g' "$OUT"; then fail "nothing of the colluders may get in"; fi
expect_hub_ok held
T=$'\t'
grep -q "^notes${T}n${T}f${T}$rF${T}[0-9T:-]*Z${T}g\$" "$OUT" ||
  fail "held must list f's push of n, waiting for g: $(cat "$OUT")"
grep -q "^notes${T}n${T}g${T}$rG${T}[0-9T:-]*Z${T}f\$" "$OUT" ||
  fail "held must list g's push of n, waiting for f: $(cat "$OUT")"
expect_hub_fail 2 held --all
grep -q 'unexpected argument --all' "$ERR" || fail "held must name the bad argument"
# The office's overview counts them.
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin
req POST /login -c "$WORK/ana.jar" --data-urlencode user=ana \
  --data-urlencode password=admin-pass-1
expect_status 303
req GET /api/overview -b "$WORK/ana.jar"
expect_status 200
grep -q '"held_pushes":2[,}]' "$BODY" ||
  fail "the overview must count the 2 held pushes: $(cat "$BODY")"

CASE="each carries the other's write"
state n 1
push "$tokF" "$rF" "$WORK/state.json"
grep -q '"ok":true' "$BODY" && fail "f's push alone must wait for g's"
push "$tokG" "$rG" "$WORK/state.json"
grep -q '"ok":true' "$BODY" || fail "g's push, with f's held, must pass: $(cat "$BODY")"
hub_export >"$OUT"
for t in 'keep me' 'by f' 'by g'; do
  grep -q "$t" "$OUT" || fail "missing after the joint push: $t"
done
case $(held_rows) in 0 | "?") ;; *) fail "the joint push must drop the held pushes it used" ;; esac
expect_hub_ok held
[ ! -s "$OUT" ] || fail "held must list nothing after the joint push: $(cat "$OUT")"
req GET /api/overview -b "$WORK/ana.jar"
grep -q '"held_pushes":0[,}]' "$BODY" ||
  fail "the overview must count none after the joint push: $(cat "$BODY")"
grep -q 'device g .*1 records taken together with pushes held aside' \
  "$WORK/hub.log" || fail "the hub must log the joint push"
push "$tokF" "$rF" "$WORK/state.json"
grep -q '"ok":true' "$BODY" || fail "f's push again must pass: $(cat "$BODY")"

CASE="a new record"
state m -
push "$tokF" "$rF" "$WORK/state.json"
grep -q '"ok":false' "$BODY" || fail "f's push of m alone must wait"
push "$tokG" "$rG" "$WORK/state.json"
grep -q '"ok":true' "$BODY" || fail "g's push of m, with f's held, must pass: $(cat "$BODY")"
wait_metric sambang_hub_records_joined_total 2

# A held push nobody vouches for goes after 8 days, swept by the hub
# (once an hour, with a push) even if its record is never pushed again.
CASE="swept after 8 days"
state lonely -
push "$tokF" "$rF" "$WORK/state.json"
grep -q '"ok":false' "$BODY" || fail "f's push of lonely alone must wait"
case $(held_rows) in 0) fail "f's push of lonely must be held" ;; esac
stop_hub
LIBFT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$LIBFT" ] || fail "libfaketime is not installed (apt-get install faketime)"
. "$(dirname "$0")/../tools/faketime_asan.sh"
LD_PRELOAD=$LIBFT FAKETIME='+9d' FAKETIME_DONT_FAKE_MONOTONIC=1 \
  ASAN_OPTIONS=$FAKETIME_ASAN \
  start_hub
push "$tokH" "$rH" "$WORK/h.json"
expect_status 200
case $(held_rows) in 0 | "?") ;; *) fail "the sweep must drop the expired held push" ;; esac
echo "ok"
