#!/usr/bin/env bash
# kill -9 of the hub at random moments of a large sync (30 times by
# default), restarted on the same port each time while the daemons keep
# running: in the end every device equals the hub, and the hub holds
# exactly what the devices wrote (nothing lost, duplicated or altered).
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-$RANDOM}
KILLS=${KILLS:-30}
echo "seed $SEED kills $KILLS (replay: SEED=$SEED bash $0)"
RANDOM=$SEED

expect_hub_ok init
start_hub
enrol d1
enrol d2
port=${URL##*:}

notes_jsonl() {
  local i pad
  pad=$(printf 'y%.0s' {1..300})
  for ((i = 0; i < $2; i++)); do
    printf '{"collection":"notes","id":"%s-%05d","fields":{"i":%d,"text":"%s"}}\n' \
      "$1" "$i" "$i" "$pad"
  done
}
notes_jsonl a 2000 >"$WORK/a.jsonl"
notes_jsonl b 1000 >"$WORK/b.jsonl"
dev d1 import "$WORK/a.jsonl" >/dev/null || fail "import on d1 failed"
dev d2 import "$WORK/b.jsonl" >/dev/null || fail "import on d2 failed"
{ dev d1 export; dev d2 export; } | sort >"$WORK/written"

cat >"$WORK/d.conf" <<CONF
batch = 40
page = 60
backoff_min = 1
backoff_cap = 1
CONF
start_daemon d1 --config "$WORK/d.conf"
start_daemon d2 --config "$WORK/d.conf"

for ((k = 1; k <= KILLS; k++)); do
  sleep "0.$(printf '%03d' $((RANDOM % 250)))"
  kill_hub
  start_hub_at "$port"
done

wait_until 120 converged d1 d2
stop_daemon d1
stop_daemon d2
expect_converged d1 d2
sort "$WORK/hub.export" | cmp -s - "$WORK/written" ||
  fail "the hub does not hold exactly what the devices wrote"
[ "$(wc -l <"$WORK/hub.export")" -eq 3000 ] || fail "expected 3000 records"
stop_hub
echo ok
