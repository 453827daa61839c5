#!/usr/bin/env bash
# Crashes in the middle of everything (seeded: SEED=N replays one): four
# devices with sambangd running make random edits of shared records (puts,
# deletes, consent withdrawn and given again, conflicts resolved), while
# now a daemon and now the hub is killed with -9 and started again. Once
# the hub is back and every device asked for a cycle, all converge: each
# device's export equals the hub's, byte for byte.
. "$(dirname "$0")/lib.sh"

seed_random
STEPS=${CHAOS_STEPS:-150}
expect_hub_ok init
start_hub
port=${URL##*:}
DEVS=(d1 d2 d3 d4)
for d in "${DEVS[@]}"; do enrol "$d"; done
small_steps_conf "$WORK/small.conf"
for d in "${DEVS[@]}"; do start_daemon "$d" --config "$WORK/small.conf"; done

hub_up=1
for ((s = 0; s < STEPS; s++)); do
  d=${DEVS[RANDOM % 4]}
  case $((RANDOM % 20)) in
  0)
    kill_daemon "$d"
    start_daemon "$d" --config "$WORK/small.conf"
    ;;
  1)
    if [ $hub_up = 1 ]; then
      kill_hub
      hub_up=0
    else
      start_hub_at "$port"
      hub_up=1
    fi
    ;;
  *) chaos_edit "$d" "$s" ;;
  esac
done
[ $hub_up = 1 ] || start_hub_at "$port"
for d in "${DEVS[@]}"; do dev "$d" sync >/dev/null 2>&1 || true; done
wait_until 120 converged "${DEVS[@]}"
for d in "${DEVS[@]}"; do stop_daemon "$d"; done
expect_converged "${DEVS[@]}"
grep -q '"collection":"notes"' "$WORK/hub.export" || fail "no note reached the hub"
stop_hub
echo ok
