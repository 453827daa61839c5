#!/usr/bin/env bash
# kill -9 of the field daemons at random moments of a large sync (30 times
# by default), each restarted: in the end every device equals the hub, and
# the hub holds exactly what the devices wrote: no record lost, none
# duplicated, none altered (a write applied twice would show in its
# version vector).
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-$RANDOM}
KILLS=${KILLS:-30}
echo "seed $SEED kills $KILLS (replay: SEED=$SEED bash $0)"
RANDOM=$SEED

expect_hub_ok init
start_hub
# The devices reach the hub through the loopback proxy, which only delays
# (up to 30 ms a chunk): on a slow machine a daemon's start (it is up once
# it answers `status`) otherwise took longer than the whole push, and
# only the first of 30 kills landed in it.
start_proxy "${URL##*:}" --delay-ms 30
URL=$PROXY_URL enrol d1
URL=$PROXY_URL enrol d2

fill_two 2000 1000

# Small batches and pages, so a sync is many steps to be killed between
# (smaller batches than small_steps_conf's: two go to the hub at once, and
# the push must outlast the first kill).
small_steps_conf "$WORK/d.conf"
sed -i 's/^batch = .*/batch = 4/' "$WORK/d.conf"

for ((k = 1; k <= KILLS; k++)); do
  start_daemon d1 --config "$WORK/d.conf"
  start_daemon d2 --config "$WORK/d.conf"
  # A random moment, 0 to 250 ms into the sync.
  sleep "0.$(printf '%03d' $((RANDOM % 250)))"
  kill_daemon d1
  kill_daemon d2
  "$HUB" export | wc -l >>"$WORK/progress"
done
# The kills fell in the middle of the sync, not before or after it.
mid=$(awk '$1 > 0 && $1 < 3000' "$WORK/progress" | wc -l)
echo "hub record counts after each kill: $(tr '\n' ' ' <"$WORK/progress")"
[ "$mid" -ge 1 ] || fail "no kill happened while the sync was under way"

start_daemon d1 --config "$WORK/d.conf"
start_daemon d2 --config "$WORK/d.conf"
wait_until 120 converged d1 d2
stop_daemon d1
stop_daemon d2
expect_converged d1 d2
sort "$WORK/hub.export" | cmp -s - "$WORK/written" ||
  fail "the hub does not hold exactly what the devices wrote"
[ "$(wc -l <"$WORK/hub.export")" -eq 3000 ] || fail "expected 3000 records"
stop_hub
echo ok
