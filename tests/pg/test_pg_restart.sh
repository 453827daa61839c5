#!/usr/bin/env bash
# PostgreSQL itself restarts while daemons sync through 2 hubs on it
# (issue 13): while it is down the hubs answer 503 with Retry-After, the
# daemons log the failure and back off, and once it is back (stop MODE,
# start on the same port) they resume by themselves: every device's
# export ends byte-identical to the hub's, and the hub holds exactly what
# the devices wrote. Twice: a fast stop, then an immediate one (a crash).
# Small push batches keep the sync going long enough for both stops (the
# batched PostgreSQL push finished 3 x 1500 records before the second).
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../sync/lib.sh"
. "$(dirname "$0")/hubs.sh"
trap 'for n in "${!DPID[@]}"; do kill -KILL "${DPID[$n]}" 2>/dev/null || true; done; hubs_cleanup' EXIT

N=${N:-2500}
expect_hub_ok init
hubs_start 2
URL=${HUB_URLS[1]}
enrol d1
enrol d2
URL=${HUB_URLS[2]}
enrol d3
total=0
for d in d1 d2 d3; do
  notes_jsonl "$d" "$N" >"$WORK/$d.jsonl"
  dev "$d" import "$WORK/$d.jsonl" >/dev/null || fail "import on $d"
  total=$((total + N))
done
for d in d1 d2 d3; do dev "$d" export; done | sort >"$WORK/written"
tok1=$(cat "$WORK/d1.tok")
r1=$(replica_of d1)
printf 'batch = 5\npage = 60\nbackoff_min = 1\nbackoff_cap = 2\n' >"$WORK/d.conf"
for d in d1 d2 d3; do start_daemon "$d" --config "$WORK/d.conf"; done

retries() { cat "$WORK"/d[123].log 2>/dev/null | grep -c 'retrying in' || true; }
more_retries() { [ "$(retries)" -gt "$before" ]; }
# A push the hubs accepted since the last restart, seen in their logs
# (counting the hub's records took a slow machine longer than the sync).
pushed_since() { [ "$(hub_pushes "$WORK"/hub[12].log)" -gt "$mark" ]; }
# The devices' records not acknowledged yet (their stores, while the hubs
# cannot take any: nothing changes them).
unsynced() {
  local d n sum=0
  for d in d1 d2 d3; do
    n=$(dev "$d" --json status | sed -n 's/.*"unsynced":\([0-9]*\).*/\1/p')
    sum=$((sum + ${n:-0}))
  done
  echo "$sum"
}
mark=0
for mode in fast immediate; do
  CASE="PostgreSQL stop -m $mode"
  wait_until 60 pushed_since
  before=$(retries)
  pg_stop "$mode" || fail "pg_ctl stop"
  for h in 1 2; do
    curl -sS -D "$HEADERS" -o "$BODY" -w '%{http_code}' \
      -H "Authorization: Bearer $tok1" -H "Sambang-Replica: $r1" \
      "${HUB_URLS[$h]}/v1/changes?since=0" >"$WORK/status" || true
    [ "$(cat "$WORK/status")" = 503 ] || fail "hub $h answered $(cat "$WORK/status") while PostgreSQL is down"
    grep -qi '^Retry-After: [0-9]' "$HEADERS" || fail "hub $h's 503 has no Retry-After"
  done
  # The daemons meet the outage and back off (their logs say so).
  wait_until 30 more_retries
  left=$(unsynced)
  [ "$left" -gt 0 ] || fail "the sync ended before PostgreSQL stopped"
  echo "PostgreSQL stopped ($mode) with $left record(s) not pushed yet"
  mark=$(hub_pushes "$WORK"/hub[12].log)
  pg_try_port "$PG_PORT" || fail "PostgreSQL did not start again"
done

CASE="converge"
wait_until 180 converged d1 d2 d3
for d in d1 d2 d3; do stop_daemon "$d"; done
expect_converged d1 d2 d3
sort "$WORK/hub.export" | cmp -s - "$WORK/written" ||
  fail "the hub does not hold exactly what the devices wrote"
[ "$(wc -l <"$WORK/hub.export")" -eq "$total" ] || fail "expected $total records"
hubs_stop
echo ok
