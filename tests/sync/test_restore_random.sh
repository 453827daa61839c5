#!/usr/bin/env bash
# Random histories across hub restores (daemon/hub/DESIGN.md, "Restoring
# from a copy"): three devices edit records offline and sync in random
# order; copies of the hub's store are taken at random moments and put
# back (with `sambang-hub restored`) at random later ones, so devices
# relay each other's writes the copy lacks and push before their authors
# do. The devices write each other's records (so two that both wrote one
# after a copy each hold the other's write: the hub takes their pushes
# together), each write a new value. After the devices
# sync until they rest, every export equals the hub's and holds each
# record's last value: nothing acknowledged before a restore was lost.
# On PostgreSQL too (sync_pg.restore_random: pg_dump, pg_restore).
. "$(dirname "$0")/lib.sh"

seed_random

expect_hub_ok init
start_hub
port=${URL##*:}
for d in d1 d2 d3; do enrol "$d"; done
declare -A last=() # last[KEY]: the last value written on record KEY

edit() { # edit DEVICE: a put of one of the device's records
  local d=$1 k=k$((RANDOM % 8)) v=$RANDOM
  dev "$d" put notes "$k" "{\"v\":$v,\"f$((RANDOM % 3))\":$v}" >/dev/null ||
    fail "put on $d"
  last[$k]=$v
}
sync_any() { # sync_any DEVICE: a sync that may leave records waiting (7)
  local rc=0
  dev "$1" sync --once >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 7 ] || fail "sync of $1 exited $rc: $(cat "$ERR")"
}
copies=0
for ((round = 0; round < 12; round++)); do
  for d in d1 d2 d3; do
    for ((i = RANDOM % 4; i > 0; i--)); do edit "$d"; done
  done
  for ((i = RANDOM % 4 + 1; i > 0; i--)); do sync_any "d$((RANDOM % 3 + 1))"; done
  if ((RANDOM % 3 == 0)); then
    copies=$((copies + 1))
    copy_store "$WORK/copy$copies"
  fi
  if ((copies > 0 && RANDOM % 4 == 0)); then
    c=$((RANDOM % copies + 1))
    echo "round $round: putting back copy $c of $copies"
    stop_hub
    put_back "$WORK/copy$c"
    expect_hub_ok restored
    start_hub_at "$port"
  fi
done

# Rest: every device syncs until a whole pass is clean.
sync_to_rest 6 d1 d2 d3
for d in d1 d2 d3; do sync_once "$d"; done
expect_converged d1 d2 d3
for k in "${!last[@]}"; do
  got=$(dev d2 get notes "$k" | python3 -c "import json,sys; print(json.load(sys.stdin).get('v'))")
  [ "$got" = "${last[$k]}" ] || fail "the last write on $k (${last[$k]}) was lost: $got"
done
echo ok
