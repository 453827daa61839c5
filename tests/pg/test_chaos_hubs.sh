#!/usr/bin/env bash
# Chaos across several hubs (issue 13; seeded: SEED=N replays one): three
# hubs on one PostgreSQL database, four devices making random edits of
# shared records (puts, deletes, consent withdrawn and given again,
# conflicts resolved) and syncing, two at a time, each through whichever
# live hub it draws, while hubs are killed with -9 and started again. In
# the end every device's export equals the hub's, byte for byte, as it
# would with one hub.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../sync/lib.sh"
. "$(dirname "$0")/hubs.sh"

seed_random
STEPS=${CHAOS_STEPS:-150}
expect_hub_ok init
hubs_start 3
URL=${HUB_URLS[1]}
DEVS=(d1 d2 d3 d4)
for d in "${DEVS[@]}"; do enrol "$d"; done
up=(1 1 1 1) # up[i]: hub i is running (index 0 unused)

# live_hub: H = the index of a random running hub (no subshell: a
# subshell's RANDOM would not replay from SEED).
live_hub() {
  while :; do
    H=$((RANDOM % 3 + 1))
    [ "${up[$H]}" = 1 ] && return
  done
}

# sync_via DEVICE HUB: one cycle through hub HUB; it may only fail as a
# device whose records wait (7), never lose or split anything.
sync_via() {
  local rc=0
  dev "$1" sync --once --server "${HUB_URLS[$2]}" >"$WORK/$1.out" \
    2>"$WORK/$1.err" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 7 ] ||
    fail "sync of $1 through hub $2 exited $rc: $(cat "$WORK/$1.err")"
}

kills=0
for ((s = 0; s < STEPS; s++)); do
  d=${DEVS[RANDOM % 4]}
  case $((RANDOM % 12)) in
  0)
    h=$((RANDOM % 3 + 1))
    if [ "${up[$h]}" = 1 ] && [ $((up[1] + up[2] + up[3])) -gt 1 ]; then
      hub_kill "$h"
      up[$h]=0
      kills=$((kills + 1))
    elif [ "${up[$h]}" = 0 ]; then
      hub_restart "$h"
      up[$h]=1
    fi
    ;;
  1 | 2 | 3)
    # Two devices at once, through hubs drawn apart: their pushes and
    # pulls interleave on the database.
    e=${DEVS[RANDOM % 4]}
    live_hub
    sync_via "$d" "$H" &
    p=$!
    live_hub
    [ "$e" = "$d" ] || sync_via "$e" "$H"
    wait "$p" || fail "a sync in the background failed"
    ;;
  *) chaos_edit "$d" "$s" ;;
  esac
done
echo "hubs killed: $kills"

CASE="converge"
for h in 1 2 3; do [ "${up[$h]}" = 1 ] || hub_restart "$h"; done
# Pass after pass through random hubs until every device holds the rest.
for ((pass = 0; pass < 6; pass++)); do
  for d in "${DEVS[@]}"; do sync_via "$d" $((RANDOM % 3 + 1)); done
  converged "${DEVS[@]}" && break
done
expect_converged "${DEVS[@]}"
grep -q '"collection":"notes"' "$WORK/hub.export" || fail "no note reached the hub"
hubs_stop
echo ok
