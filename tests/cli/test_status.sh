#!/usr/bin/env bash
# status: replica, store, records per collection, unsynced changes (seq
# still marked pending), open conflicts; --json as one object.
. "$(dirname "$0")/lib.sh"
fresh_store
me=$(cat "$OUT")

expect_ok status
cat >"$WORK/expected" <<EOF2
replica: $me
store: $SAMBANG_DB
server: (none)
records:
  beneficiary: 0
  visit: 0
unsynced changes: 0
open conflicts: 0
last synced: never
daemon: not running
EOF2
cmp -s "$OUT" "$WORK/expected" || fail "status of an empty store"

expect_ok beneficiary add --group anak --kecamatan Setu --consent no
expect_ok put notes a '{"x":1}'
expect_ok put notes b '{"x":1}'
expect_ok put notes b '{"x":2}'
expect_ok rm notes a
expect_ok status
expect_stdout_contains "  beneficiary: 1"
expect_stdout_contains "  visit: 0"
expect_stdout_contains "  notes: 1 (1 deleted)"
# Three records changed; none pushed yet.
expect_stdout_contains "unsynced changes: 3"

# The replicator clears the pending mark of what the hub acknowledged.
seq_b=$(sqlite3 "$SAMBANG_DB" "SELECT seq FROM records WHERE id = 'b'")
sqlite3 "$SAMBANG_DB" "DELETE FROM pending WHERE seq <= $seq_b"
expect_ok status
expect_stdout_contains "unsynced changes: 1"
expect_stdout_lacks "rejected"
expect_ok --json status
expect_stdout_is "{\"collections\":{\"beneficiary\":{\"conflicts\":0,\"deleted\":0,\"records\":1},\"notes\":{\"conflicts\":0,\"deleted\":1,\"records\":1},\"visit\":{\"conflicts\":0,\"deleted\":0,\"records\":0}},\"conflicts\":0,\"daemon\":null,\"integrity\":\"ok\",\"last_sync_ms\":null,\"rejected\":0,\"replica\":\"$me\",\"review\":0,\"scope\":null,\"server\":null,\"store\":\"$SAMBANG_DB\",\"unsynced\":1}"
# A record the hub refused is counted apart, not as unsynced.
sqlite3 "$SAMBANG_DB" "UPDATE records SET rejected = '{}' WHERE id = 'a'"
expect_ok status
expect_stdout_contains "unsynced changes: 0"
expect_stdout_contains "rejected by the hub: 1"
expect_fail 2 status extra
# --json after the command is the global option.
expect_ok status --json
expect_stdout_contains '"unsynced":'

echo "ok"
