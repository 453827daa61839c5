#!/usr/bin/env bash
# Who wrote a conflict's values, named on the devices as the hub names
# them (GET /v1/names, daemon/sync/DESIGN.md): after `sync --once` and on
# a running sambangd whose long-poll brings the conflict, `sambang
# conflicts --values` lists the same lines as `sambang-hub conflicts
# --values`, device names and not replica ids.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
for d in tab-a tab-b tab-c tab-d; do enrol "$d"; done
id=$(dev tab-a beneficiary add --name "Ibu Sari" --consent yes \
  --group perempuan --kecamatan Setu --kelurahan Kademangan) ||
  fail "beneficiary add"
for d in tab-a tab-b tab-c tab-d; do sync_once "$d"; done

# same_as_hub DEVICE: its listing with values is the hub's.
same_as_hub() {
  "$HUB" conflicts --values >"$WORK/hub.values" || return 1
  dev "$1" conflicts --values >"$WORK/$1.values" || return 1
  cmp -s "$WORK/hub.values" "$WORK/$1.values"
}

CASE="sync --once: a and b edit the same field"
dev tab-a beneficiary edit "$id" --kelurahan Muncul >/dev/null || fail "edit on a"
dev tab-b beneficiary edit "$id" --kelurahan Kranggan >/dev/null || fail "edit on b"
sync_once tab-a
sync_once tab-b
sync_once tab-a
for d in tab-a tab-b; do
  same_as_hub "$d" ||
    fail "$d lists: $(cat "$WORK/$d.values"); the hub: $(cat "$WORK/hub.values")"
done
grep -q "^  kelurahan \[[12]\] Muncul  (device tab-a, " "$WORK/tab-b.values" ||
  fail "b does not name a: $(cat "$WORK/tab-b.values")"
grep -q "^  kelurahan \[[12]\] Kranggan  (device tab-b, " "$WORK/tab-a.values" ||
  fail "a does not name b: $(cat "$WORK/tab-a.values")"

CASE="sambangd: the conflict of two other devices comes by long-poll"
# c's first cycle brings the conflict above (and asks a's and b's names);
# then, listening, its long-poll brings one with d, a device it cannot
# name yet: that asks d's name without waiting for a cycle.
start_daemon tab-c
wait_until 20 same_as_hub tab-c
dev tab-a beneficiary edit "$id" --contact 0811 >/dev/null || fail "edit on a"
dev tab-d beneficiary edit "$id" --contact 0814 >/dev/null || fail "edit on d"
sync_once tab-a
sync_once tab-d
wait_until 20 same_as_hub tab-c
grep -q "^  contact \[[12]\] 0814  (device tab-d, " "$WORK/tab-c.values" ||
  fail "c does not name d: $(cat "$WORK/tab-c.values")"
stop_daemon tab-c
stop_hub
echo ok
