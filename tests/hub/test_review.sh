#!/usr/bin/env bash
# `sambang-hub conflicts` flags merged states that break a rule of the
# hub's schema as needing review, computed from the state alone: a device
# holding the same states lists them byte for byte the same. The states
# (what two valid concurrent writes merge into) are written into both
# stores directly with sqlite3.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
dev_init d1 >/dev/null
A=0000000000000000
B=zzzzzzzzzzzzzzzz

put_state() { # put_state DB COLLECTION ID DELETED CONFLICT STATE
  sqlite3 "$1" "INSERT INTO records(collection, id, seq, deleted, conflict,
    state) VALUES('$2', '$3', (SELECT coalesce(max(seq), 0) + 1 FROM records),
    $4, $5, '$6')"
}
for db in "$SAMBANG_HUB_DB" "$WORK/d1.db"; do
  put_state "$db" beneficiary b2 0 1 '{"collection":"beneficiary","deleted":false,"fields":{"kelurahan":[{"dot":["'$B'",2],"ts":1500,"value":"Babakan"}]},"id":"b2","tombstones":[{"dot":["'$A'",2],"ts":2000}],"vv":{"'$A'":2,"'$B'":2}}'
  put_state "$db" beneficiary b5 0 0 '{"collection":"beneficiary","deleted":false,"fields":{"consent":[{"dot":["'$A'",1],"ts":1000,"value":true}],"groups":[{"dot":["'$A'",1],"ts":1000,"value":["anak"]}],"kecamatan":[{"dot":["'$A'",1],"ts":1000,"value":"Setu"}]},"id":"b5","tombstones":[],"vv":{"'$A'":1}}'
  put_state "$db" visit v1 0 0 '{"collection":"visit","deleted":false,"fields":{"beneficiary":[{"dot":["'$A'",1],"ts":1000,"value":"b5"}],"date":[{"dot":["'$A'",1],"ts":1000,"value":"2024-01-02"}]},"id":"v1","tombstones":[],"vv":{"'$A'":1}}'
done

expect_hub_ok conflicts
cat >"$WORK/expected" <<'EOF2'
beneficiary	b2	(deleted)
beneficiary	b2	(needs review) missing required fields "groups", "kecamatan", "consent"
visit	v1	(needs review) missing required field "programme"
EOF2
cmp -s "$OUT" "$WORK/expected" || fail "hub conflicts with review lines"
dev d1 conflicts >"$WORK/device" || fail "device conflicts failed"
cmp -s "$OUT" "$WORK/device" || fail "the device and the hub list differently"
# In Indonesian, by the hub and the device alike (the dashboard's
# reason follows its request's language: tests/browser/test_office.mjs).
LANGUAGE=id LC_ALL=id_ID.UTF-8 "$HUB" conflicts >"$WORK/hub-id" 2>"$ERR" || fail "hub conflicts in Indonesian"
grep -q $'^visit\tv1\t(perlu ditinjau) kolom wajib tidak ada: "programme"$' "$WORK/hub-id" &&
  ! grep -q "needs review" "$WORK/hub-id" ||
  fail "the review reason in Indonesian: $(cat "$WORK/hub-id" "$ERR")"
LANGUAGE=id LC_ALL=id_ID.UTF-8 "$SAMBANG" --db "$WORK/d1.db" conflicts >"$WORK/device-id" ||
  fail "device conflicts in Indonesian"
cmp -s "$WORK/hub-id" "$WORK/device-id" || fail "the device and the hub list differently in Indonesian"
# Listing is a read.
snapshot
expect_hub_ok conflicts
expect_unchanged

echo "ok"
