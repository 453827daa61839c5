#!/usr/bin/env bash
# kill -9 of one of several hubs mid-push (issue 13): 3 devices push (and
# pull) through 3 hubs on one PostgreSQL database, each sync cycle through
# a random hub; one hub at a time is killed with kill -9 while pushes are
# under way (KILLS times), and restarted on its port. A device whose cycle
# died with its hub retries through whichever hub it draws next. In the
# end nothing is lost or doubled (the hub holds exactly what the devices
# wrote, each record once in the feed) and every device's export is
# byte-identical to the hub's.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../sync/lib.sh"
. "$(dirname "$0")/hubs.sh"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; hubs_cleanup' EXIT

SEED=${SEED:-$RANDOM}
KILLS=${KILLS:-3}
# Enough pushes (N records a device, 10 a push) that a kill lands while
# they go on in an optimised build too (with 600 in 20s, a Release build
# had often pushed everything before the first kill).
N=${N:-2000}
DEVICES="d1 d2 d3"
echo "seed $SEED kills $KILLS (replay: SEED=$SEED bash $0)"
RANDOM=$SEED

expect_hub_ok init
hubs_start 3
URL=${HUB_URLS[1]}
for d in $DEVICES; do enrol "$d"; done
total=0
for d in $DEVICES; do
  notes_jsonl "$d" "$N" >"$WORK/$d.jsonl"
  dev "$d" import "$WORK/$d.jsonl" >/dev/null || fail "import on $d"
  total=$((total + N))
done
for d in $DEVICES; do dev "$d" export; done | sort >"$WORK/written"
printf 'batch = 10\npage = 60\n' >"$WORK/d.conf"

# device NAME: sync cycles, each through a random hub, until the test
# says stop and one whole cycle has succeeded after that.
device() {
  local d=$1 h
  while :; do
    h=$((RANDOM % 3 + 1))
    if dev "$d" sync --once --config "$WORK/d.conf" --server "${HUB_URLS[$h]}" \
      >>"$WORK/$d.cycles" 2>&1; then
      [ -e "$WORK/stop" ] && return 0
    else
      echo "cycle through hub $h failed" >>"$WORK/$d.failed"
    fi
  done
}
for d in $DEVICES; do device "$d" & pids+=($!); done

hub_count() { pg_sql hub "SELECT count(*) FROM records"; }
grew() { local n; n=$(hub_count); [ "$n" -gt "$last" ] || [ "$n" -ge "$total" ]; }
last=0
for ((k = 1; k <= KILLS; k++)); do
  CASE="kill $k"
  wait_until 60 grew
  victim=$((RANDOM % 3 + 1))
  last=$(hub_count)
  hub_kill "$victim"
  echo "killed hub $victim at $last records" | tee -a "$WORK/progress"
  # The devices go on through the other two while it is down.
  wait_until 60 grew
  last=$(hub_count)
  hub_restart "$victim"
done
mid=$(awk '$5 > 0 && $5 < '"$total" "$WORK/progress" | wc -l)
[ "$mid" -ge 1 ] || fail "no kill landed while pushes were under way"

CASE="converge"
touch "$WORK/stop"
for p in "${pids[@]}"; do wait "$p" || fail "a device loop failed"; done
# Each device's last cycle may predate another's last push: one more each.
for d in $DEVICES; do sync_once "$d"; done
expect_converged $DEVICES
sort "$WORK/hub.export" | cmp -s - "$WORK/written" ||
  fail "the hub does not hold exactly what the devices wrote"
[ "$(wc -l <"$WORK/hub.export")" -eq "$total" ] || fail "expected $total records"
[ "$(pg_sql hub "SELECT count(DISTINCT seq) FROM records")" -eq "$total" ] ||
  fail "a feed number is shared or missing"
[ "$(pg_sql hub "SELECT seq FROM feed_counter")" -ge "$total" ] ||
  fail "the feed counter is below the records"
echo "cycles that failed with their hub: $(cat "$WORK"/*.failed 2>/dev/null | wc -l)"
hubs_stop
echo ok
