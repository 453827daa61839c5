#!/usr/bin/env bash
# conflicts and resolve. There is no sync yet, so the concurrent states a
# merge would leave (siblings; a delete that met an unseen edit) are
# written into the store directly with sqlite3.
. "$(dirname "$0")/lib.sh"
fresh_store
me=$(cat "$OUT")
A=0000000000000000
B=zzzzzzzzzzzzzzzz

# put_state COLLECTION ID DELETED CONFLICT STATE: a row as store_put writes it.
put_state() {
  sqlite3 "$SAMBANG_DB" "INSERT INTO records(collection, id, seq, deleted,
    conflict, state) VALUES('$1', '$2',
    (SELECT coalesce(max(seq), 0) + 1 FROM records), $3, $4, '$5')"
}
# Two siblings of "title": B's is later, so it wins reads.
put_state notes c1 0 1 '{"collection":"notes","deleted":false,"fields":{"n":[{"dot":["'$A'",1],"ts":1000,"value":1}],"title":[{"dot":["'$A'",1],"ts":1000,"value":"from A"},{"dot":["'$B'",1],"ts":2000,"value":"from B"}]},"id":"c1","tombstones":[],"vv":{"'$A'":1,"'$B'":1}}'
# B deleted what it had seen; A edited meanwhile: alive, in conflict.
put_state notes c2 0 1 '{"collection":"notes","deleted":false,"fields":{"title":[{"dot":["'$A'",2],"ts":3000,"value":"edited"}]},"id":"c2","tombstones":[{"dot":["'$B'",1],"ts":2500}],"vv":{"'$A'":2,"'$B'":1}}'
put_state beneficiary b1 0 1 '{"collection":"beneficiary","deleted":false,"fields":{"consent":[{"dot":["'$A'",1],"ts":1000,"value":true}],"groups":[{"dot":["'$A'",1],"ts":1000,"value":["anak"]}],"kecamatan":[{"dot":["'$A'",1],"ts":1000,"value":"Setu"}],"name":[{"dot":["'$A'",1],"ts":1000,"value":"Siti"},{"dot":["'$B'",1],"ts":900,"value":"Sity"}]},"id":"b1","tombstones":[],"vv":{"'$A'":1,"'$B'":1}}'
expect_ok put notes calm '{"title":"no conflict"}'

# conflicts: COLLECTION<TAB>ID<TAB>FIELDS, in (collection, id) order.
expect_ok conflicts
printf 'beneficiary\tb1\tname\nnotes\tc1\ttitle\nnotes\tc2\t(deleted)\n' \
  >"$WORK/expected"
cmp -s "$OUT" "$WORK/expected" || fail "conflicts"
expect_ok --json conflicts
expect_lines 3
expect_stdout_contains '{"collection":"notes","delete_conflict":false,"fields":{"title":[{"dot":["'$A'",1],"ts":1000,"value":"from A"},{"dot":["'$B'",1],"ts":2000,"value":"from B"}]},"id":"c1","tombstones":[]}'
expect_stdout_contains '{"collection":"notes","delete_conflict":true,"fields":{},"id":"c2","tombstones":[{"dot":["'$B'",1],"ts":2500}]}'

# Reads show the winner and flag the conflict.
expect_ok get notes c1
expect_stdout_is '{"n":1,"title":"from B"}'
expect_ok --json get notes c1
expect_stdout_contains '"conflict":true'
expect_ok --json list notes
expect_stdout_contains '{"conflict":true,"id":"c1","values":{"n":1,"title":"from B"}}'
expect_stdout_contains '{"conflict":false,"id":"calm"'
expect_ok get notes c2
expect_stdout_is '{"title":"edited"}'
expect_ok beneficiary show b1
expect_stdout_contains "name: Siti | Sity (conflict)"
expect_stdout_contains "kecamatan: Setu"
expect_ok beneficiary list
expect_stdout_contains "b1 *"
expect_stdout_contains "* in conflict: see sambang beneficiary show ID"
expect_ok status
expect_stdout_contains "open conflicts: 3"

# resolve: the schema still applies; bad values change nothing.
expect_refused 4 'field "kecamatan": "Jakarta" is not allowed' \
  resolve beneficiary b1 kecamatan '"Jakarta"'
expect_refused 4 "JSON_VALUE is not valid JSON" resolve notes c1 title '"from C'
expect_refused 3 "not found: notes/nothere" resolve notes nothere title '"x"'
expect_refused 2 "resolve takes COLLECTION ID FIELD and one of VALUE" \
  resolve notes c1 title

# resolve covers every sibling: one entry left, with this replica's dot.
expect_ok resolve notes c1 title '"from C"'
expect_stdout_is c1
expect_ok get notes c1
expect_stdout_is '{"n":1,"title":"from C"}'
expect_ok --json get notes c1
expect_stdout_contains '"conflict":false'
expect_stdout_contains '"title":[{"dot":["'"$me"'",1],'
expect_stdout_contains '"vv":{"'$A'":1,"'"$me"'":1,"'$B'":1}}'

# Writing a field of a record in a delete conflict keeps the record.
expect_ok resolve notes c2 title '"kept"'
expect_ok --json get notes c2
expect_stdout_contains '"conflict":false,"deleted":false'
expect_stdout_contains '"tombstones":[]'

expect_ok resolve beneficiary b1 name '"Siti Aminah"'
expect_ok conflicts
expect_lines 0
expect_ok status
expect_stdout_contains "open conflicts: 0"

echo "ok"
