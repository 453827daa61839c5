#!/usr/bin/env bash
# More writers than one names request can carry: a conflict written by 130
# devices is listed with every writer's device name on a device that pulls
# it. The replica ids go in the URL (GET /v1/names?replicas=...), which
# holds about 118 of them beside the hub's address (SYNC_URL_MAX in
# daemon/sync/sync_int.h), so the device asks in two requests.
. "$(dirname "$0")/lib.sh"

n=130
expect_hub_ok init
start_hub
enrol w1
enrol reader

# Each writer creates the same visit with its own notes, offline: 130
# concurrent writes of every field, one conflict. w1 is a real device;
# the other writers push what such a device pushes (w1's record as its
# own replica wrote it: its dot, its version vector, its note), each
# with its own token, which is all the hub knows a device by. (A real
# store per writer took four sanitized processes each.)
printf '{"collection":"visit","fields":{"beneficiary":"b-000001","date":"2026-11-03","notes":"from w1","programme":"stigma-awareness"},"id":"visit-shared"}\n' \
  >"$WORK/w1.jsonl"
dev w1 import "$WORK/w1.jsonl" >/dev/null || fail "import on w1"
sync_once w1
r1=$(replica_of w1)
[ -n "$r1" ] || fail "no replica id in w1's status"
dev w1 export >"$WORK/w1.export"
for i in $(seq 2 "$n"); do
  token=$("$HUB" device add "w$i" --scope all) || fail "device add w$i"
  replica=$(printf 'writer%04d' "$i")
  push_as "$token" "$replica" "$WORK/w1.export" "s/$r1/$replica/g; s/from w1/from w$i/"
done

CASE="a device pulls a conflict of $n writers"
# The hub's log line for each request (written as its reply goes out).
names_asked() { grep -c 'GET /v1/names .* reader$' "$WORK/hub.log" || true; }
reader_asked_names_twice() { [ "$(names_asked)" -ge 2 ]; }
sync_once reader
wait_until 10 reader_asked_names_twice
"$HUB" conflicts --values >"$WORK/hub.values" || fail "hub conflicts"
dev reader conflicts --values >"$WORK/reader.values" || fail "reader conflicts"
cmp -s "$WORK/hub.values" "$WORK/reader.values" ||
  fail "the reader lists: $(head -c 600 "$WORK/reader.values"); the hub: $(head -c 600 "$WORK/hub.values")"
for i in 1 "$n"; do
  grep -q "from w$i  (device w$i, " "$WORK/reader.values" ||
    fail "w$i is not named: $(grep "from w$i\b" "$WORK/reader.values")"
done
named=$(grep -c '^  notes \[[0-9]*\] from w[0-9]*  (device w[0-9]*, ' \
  "$WORK/reader.values" || true)
[ "$named" -eq "$n" ] || fail "$named of $n notes name their device"
stop_hub
echo ok
