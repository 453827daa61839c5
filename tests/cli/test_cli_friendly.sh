#!/usr/bin/env bash
# Issue 15 (CLI): resolve takes a plain value, conflicts --values shows
# each sibling with its device and time, resolve --pick N, --json after
# the command, errors as one JSON object in --json mode, --version.
. "$(dirname "$0")/lib.sh"
export TZ=UTC
fresh_store
A=0000000000000000
B=zzzzzzzzzzzzzzzz

put_state() {
  sqlite3 "$SAMBANG_DB" "INSERT INTO records(collection, id, seq, deleted,
    conflict, state) VALUES('$1', '$2',
    (SELECT coalesce(max(seq), 0) + 1 FROM records), $3, $4, '$5')"
}
# ts are HLC timestamps: ms * 1000 + logical. 1764547200000 ms = 2025-12-01 00:00:00 UTC.
T1=$((1764547200000 * 1000))
T2=$(((1764547200000 + 3600000) * 1000))
put_state beneficiary b1 0 1 '{"collection":"beneficiary","deleted":false,"fields":{"consent":[{"dot":["'$A'",1],"ts":'$T1',"value":true}],"groups":[{"dot":["'$A'",1],"ts":'$T1',"value":["anak"]}],"kecamatan":[{"dot":["'$A'",1],"ts":'$T1',"value":"Setu"}],"kelurahan":[{"dot":["'$A'",1],"ts":'$T1',"value":"Kranggan"},{"dot":["'$B'",1],"ts":'$T2',"value":"Muncul"}]},"id":"b1","tombstones":[],"vv":{"'$A'":1,"'$B'":1}}'
put_state notes n1 0 1 '{"collection":"notes","deleted":false,"fields":{"title":[{"dot":["'$A'",1],"ts":'$T1',"value":"from A"},{"dot":["'$B'",1],"ts":'$T2',"value":"from B"}]},"id":"n1","tombstones":[],"vv":{"'$A'":1,"'$B'":1}}'
put_state notes n2 0 1 '{"collection":"notes","deleted":false,"fields":{"title":[{"dot":["'$A'",2],"ts":'$T2',"value":"edited"}]},"id":"n2","tombstones":[{"dot":["'$B'",1],"ts":'$T1'}],"vv":{"'$A'":2,"'$B'":1}}'

# Not a terminal: the plain listing stays as scripts parse it.
expect_ok conflicts
printf 'beneficiary\tb1\tkelurahan\nnotes\tn1\ttitle\nnotes\tn2\t(deleted)\n' \
  >"$WORK/plain"
cmp -s "$OUT" "$WORK/plain" || fail "conflicts without --values changed"
# --values: each sibling numbered, with device and time, beneath its line.
expect_ok conflicts --values
cat >"$WORK/values" <<EOT
beneficiary	b1	kelurahan
  kelurahan [1] Kranggan  (device $A, 2025-12-01 00:00:00)
  kelurahan [2] Muncul  (device $B, 2025-12-01 01:00:00) (shown)
notes	n1	title
  title [1] from A  (device $A, 2025-12-01 00:00:00)
  title [2] from B  (device $B, 2025-12-01 01:00:00) (shown)
notes	n2	(deleted)
  (deleted)  (device $B, 2025-12-01 00:00:00): edit to keep the record, or rm it
EOT
cmp -s "$OUT" "$WORK/values" || fail "conflicts --values: $(diff "$WORK/values" "$OUT")"
# The first lines are the plain listing.
grep -v '^  ' "$OUT" | cmp -s - "$WORK/plain" || fail "first lines differ"
# In Indonesian, the markers too.
LANG=id_ID.UTF-8 sb conflicts --values
check_ok
expect_stdout_contains "  kelurahan [2] Muncul  (perangkat $B, 2025-12-01 01:00:00) (ditampilkan)"
expect_stdout_contains "  (dihapus)  (perangkat $B"
expect_stdout_lacks "(shown)"
expect_ok conflicts --values --no-values
cmp -s "$OUT" "$WORK/plain" || fail "--no-values"
expect_fail 2 conflicts --bogus
# Devices by the names the hub gave at a sync (meta device_name.REPLICA,
# daemon/sync/sync_names.c); a kept name that is not a device name (a
# damaged or hand-edited store) is not shown: the replica id is.
sqlite3 "$SAMBANG_DB" "INSERT INTO meta(key, value) VALUES
  ('device_name.$B', 'tablet-b'), ('device_name.$A', 'a'||char(27)||'[31m')"
expect_ok conflicts --values
expect_stdout_contains "  title [2] from B  (device tablet-b, 2025-12-01 01:00:00) (shown)"
expect_stdout_contains "  (deleted)  (device tablet-b, 2025-12-01 00:00:00)"
expect_stdout_contains "  title [1] from A  (device $A, 2025-12-01 00:00:00)"
sqlite3 "$SAMBANG_DB" "DELETE FROM meta WHERE key LIKE 'device_name.%'"

# --pick N: bad numbers and fields refused, nothing changed.
expect_refused 2 "--pick takes the number" resolve notes n1 title --pick 0
expect_refused 2 "--pick takes the number" resolve notes n1 title --pick x
expect_refused 4 'has 2 values in conflict, not 3' resolve notes n1 title --pick 3
expect_refused 4 'field "title" is not in conflict' resolve notes n2 title --pick 1
expect_refused 4 'field "nope" is not in conflict (no value)' \
  resolve notes n1 nope --pick 1
expect_refused 3 "not found: notes/zz" resolve notes zz title --pick 1
expect_refused 2 "one of VALUE, --json-value JSON or --pick N" \
  resolve notes n1 title x --pick 1
expect_refused 2 "unknown option --bogus for resolve" resolve notes n1 title --bogus
# Pick the older one (not what reads show).
expect_ok resolve notes n1 title --pick 1
expect_stdout_is n1
expect_ok get notes n1
expect_stdout_is '{"title":"from A"}'
expect_ok --json get notes n1
expect_stdout_contains '"conflict":false'

# resolve with a plain value, typed by the schema.
expect_refused 4 'field "kecamatan": "Jakarta" is not allowed' \
  resolve beneficiary b1 kecamatan Jakarta
expect_refused 4 'field "consent": expected yes or no' \
  resolve beneficiary b1 consent maybe
expect_ok resolve beneficiary b1 kelurahan Kranggan
expect_ok get beneficiary b1
expect_stdout_contains '"kelurahan":"Kranggan"'
expect_ok conflicts
expect_stdout_lacks beneficiary
# The old JSON form still works for a field of the schema...
expect_ok resolve beneficiary b1 kelurahan '"Pondok Jagung"'
expect_ok get beneficiary b1
expect_stdout_contains '"kelurahan":"Pondok Jagung"'
expect_ok resolve beneficiary b1 groups '["anak","miskin"]'
expect_ok resolve beneficiary b1 groups 'perempuan, anak'
expect_ok get beneficiary b1
expect_stdout_contains '"groups":["perempuan","anak"]'
expect_ok resolve beneficiary b1 consent ya
# ...and a string that looks like a number stays a string there.
expect_ok resolve beneficiary b1 kelurahan 1
expect_ok get beneficiary b1
expect_stdout_contains '"kelurahan":"1"'
# --json-value: always JSON.
expect_refused 4 'JSON_VALUE is not valid JSON' \
  resolve beneficiary b1 kelurahan --json-value Kranggan
expect_ok resolve beneficiary b1 kelurahan --json-value '"Kranggan"'
expect_ok get beneficiary b1
expect_stdout_contains '"kelurahan":"Kranggan"'
# Free-form: JSON if it is JSON, else a plain string.
expect_ok resolve notes n2 title 'kept it'
expect_ok resolve notes n2 n 1
expect_ok get notes n2
expect_stdout_is '{"n":1,"title":"kept it"}'
expect_ok resolve notes n2 n '"1"'
expect_ok get notes n2
expect_stdout_is '{"n":"1","title":"kept it"}'
expect_refused 4 'JSON_VALUE is not valid JSON' resolve notes n2 n '{"a":'
expect_ok conflicts
expect_lines 0

# --json after the command; errors as one JSON object on stderr.
expect_ok beneficiary list --json
expect_stdout_contains '{"conflict":false,"id":"b1"'
expect_ok status --json
expect_stdout_contains '"unsynced":'
expect_ok resolve notes n2 n 2 --json
expect_stdout_is '{"collection":"notes","id":"n2"}'
snapshot
sb get notes nothere --json
[ "$RC" -eq 3 ] || fail "exit $RC, not 3"
expect_unchanged
[ "$(wc -l <"$ERR")" -eq 1 ] || fail "one line on stderr"
[ "$(cat "$ERR")" = '{"error":{"code":"NOTFOUND","message":"not found: notes/nothere"}}' ] ||
  fail "JSON error: $(cat "$ERR")"
sb --json bogus
[ "$RC" -eq 2 ] || fail "exit $RC, not 2"
grep -q '^{"error":{"code":"USAGE","message":"unknown command \\"bogus\\"' "$ERR" ||
  fail "usage error as JSON: $(cat "$ERR")"
sb resolve beneficiary b1 kecamatan Jakarta --json
[ "$RC" -eq 4 ] || fail "exit $RC, not 4"
grep -q '^{"error":{"code":"SCHEMA","message":"field \\"kecamatan\\"' "$ERR" ||
  fail "schema error as JSON: $(cat "$ERR")"
# Without --json errors stay one plain line.
expect_fail 3 get notes nothere

# --version on all three programs.
expect_ok --version
grep -q '^sambang [0-9]' "$OUT" || fail "sambang --version"
HUB_BIN=${SAMBANG_HUB:-$(dirname "$SAMBANG")/../daemon/hub/sambang-hub}
for prog in "${SAMBANGD:-}" "$HUB_BIN"; do
  [ -n "$prog" ] || continue
  "$prog" --version >"$OUT" 2>"$ERR" || fail "$prog --version failed"
  grep -q "^$(basename "$prog") [0-9]" "$OUT" || fail "$prog --version"
done
echo "ok"
