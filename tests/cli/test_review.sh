#!/usr/bin/env bash
# Merged states that break a rule of the schema need review: kept as they
# are, listed by `conflicts` with the rule they break (beside the sibling
# lines, whose format is unchanged), counted by `status`. The states two
# valid concurrent writes merge into are written into the store directly
# with sqlite3, as test_conflicts.sh does.
. "$(dirname "$0")/lib.sh"
fresh_store
A=0000000000000000
B=zzzzzzzzzzzzzzzz

put_state() {
  sqlite3 "$SAMBANG_DB" "INSERT INTO records(collection, id, seq, deleted,
    conflict, state) VALUES('$1', '$2',
    (SELECT coalesce(max(seq), 0) + 1 FROM records), $3, $4, '$5')"
}
# b2: A deleted what it had seen while B edited kelurahan: alive, the
# required fields gone.
put_state beneficiary b2 0 1 '{"collection":"beneficiary","deleted":false,"fields":{"kelurahan":[{"dot":["'$B'",2],"ts":1500,"value":"Babakan"}]},"id":"b2","tombstones":[{"dot":["'$A'",2],"ts":2000}],"vv":{"'$A'":2,"'$B'":2}}'
# b3: A withdrew consent while B gave it again: siblings, false wins the
# read, and the name is still there.
put_state beneficiary b3 0 1 '{"collection":"beneficiary","deleted":false,"fields":{"consent":[{"dot":["'$A'",2],"ts":3000,"value":false},{"dot":["'$B'",1],"ts":2000,"value":true}],"groups":[{"dot":["'$A'",1],"ts":1000,"value":["anak"]}],"kecamatan":[{"dot":["'$A'",1],"ts":1000,"value":"Setu"}],"name":[{"dot":["'$A'",1],"ts":1000,"value":"Ibu Sari"}]},"id":"b3","tombstones":[],"vv":{"'$A'":2,"'$B'":1}}'
# b4: deleted everywhere: nothing to review.
put_state beneficiary b4 1 0 '{"collection":"beneficiary","deleted":true,"fields":{},"id":"b4","tombstones":[{"dot":["'$A'",3],"ts":4000}],"vv":{"'$A'":3}}'
# v1: a visit missing its programme, no siblings.
put_state visit v1 0 0 '{"collection":"visit","deleted":false,"fields":{"beneficiary":[{"dot":["'$A'",1],"ts":1000,"value":"b3"}],"date":[{"dot":["'$A'",1],"ts":1000,"value":"2024-01-02"}]},"id":"v1","tombstones":[],"vv":{"'$A'":1}}'
# Free-form collections have no rules.
expect_ok put notes n1 '{"x":1}'

expect_ok conflicts
cat >"$WORK/expected" <<'EOF2'
beneficiary	b2	(deleted)
beneficiary	b2	(needs review) missing required fields "groups", "kecamatan", "consent"
beneficiary	b3	consent
beneficiary	b3	(needs review) personal details ("name") held while "consent" is not true
visit	v1	(needs review) missing required field "programme"
EOF2
cmp -s "$OUT" "$WORK/expected" || fail "conflicts with review lines"
expect_ok --json conflicts
expect_lines 5
expect_stdout_contains '{"collection":"beneficiary","id":"b2","review":"missing required fields \"groups\", \"kecamatan\", \"consent\""}'
expect_stdout_contains '{"collection":"visit","id":"v1","review":"missing required field \"programme\""}'
expect_stdout_contains '{"collection":"beneficiary","delete_conflict":true,"fields":{},"id":"b2",'
expect_stdout_lacks '"b4"'

# The state is kept as it is: reads show it.
expect_ok get beneficiary b2
expect_stdout_is '{"kelurahan":"Babakan"}'

expect_ok status
expect_stdout_contains "open conflicts: 2"
expect_stdout_contains 'needing review: 3 (see `sambang conflicts`)'
expect_ok --json status
expect_stdout_contains '"review":3'

# Listing is a read: it changes nothing.
snapshot
expect_ok conflicts
expect_unchanged

# A write that settles the rule clears the flag.
expect_ok beneficiary edit b3 --consent yes
expect_ok beneficiary edit b2 --group anak --kecamatan Setu --consent no
expect_ok conflicts
expect_stdout_is "$(printf 'visit\tv1\t(needs review) missing required field "programme"')"
expect_ok status
expect_stdout_contains "open conflicts: 0"
expect_stdout_contains "needing review: 1"

echo "ok"
