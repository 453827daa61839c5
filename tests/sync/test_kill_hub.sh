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
port=${URL##*:}
# The devices reach the hub through the loopback proxy, which only delays
# (up to 30 ms a chunk): the sync takes long enough for kills to land in it.
start_proxy "$port" --delay-ms 30
direct=$URL
URL=$PROXY_URL
enrol d1
enrol d2
URL=$direct

fill_two 2000 1000

# Smaller batches than small_steps_conf's: the push outlasts the daemons'
# start and several kills.
small_steps_conf "$WORK/d.conf"
sed -i 's/^batch = .*/batch = 10/' "$WORK/d.conf"
start_daemon d1 --config "$WORK/d.conf"
start_daemon d2 --config "$WORK/d.conf"

# Each kill lands while the daemons are at work: once a push got through
# since the last restart, a random 0-100 ms later; after everything is
# pushed, at random (pulls). A push is seen in the hub's log, not by
# counting the hub's records: on a slow machine an export under ASan
# takes longer than the whole push, and every kill came after it.
hub_count() { "$HUB" export | wc -l; }
pushed_since_start() { [ "$(hub_pushes "$WORK/hub.log")" -gt "$mark" ]; }
grew() { pushed_since_start || [ "$last" -ge 3000 ]; }
last=0
mark=0
for ((k = 1; k <= KILLS; k++)); do
  wait_until 30 grew
  sleep "0.$(printf '%03d' $((RANDOM % 100)))"
  kill_hub
  last=$(hub_count)
  echo "$last" >>"$WORK/progress"
  mark=$(hub_pushes "$WORK/hub.log")
  start_hub_at "$port"
done
mid=$(awk '$1 > 0 && $1 < 3000' "$WORK/progress" | wc -l)
echo "hub record counts at each kill: $(tr '\n' ' ' <"$WORK/progress")"
[ "$mid" -ge 1 ] || fail "no kill happened while the sync was under way"

wait_until 120 converged d1 d2
stop_daemon d1
stop_daemon d2
expect_converged d1 d2
sort "$WORK/hub.export" | cmp -s - "$WORK/written" ||
  fail "the hub does not hold exactly what the devices wrote"
[ "$(wc -l <"$WORK/hub.export")" -eq 3000 ] || fail "expected 3000 records"
stop_hub
echo ok
