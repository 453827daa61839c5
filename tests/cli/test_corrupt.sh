#!/usr/bin/env bash
# Corruption fails closed: once a store is seen damaged (the quick check
# every command runs first, or any read), put, import, rm and the domain
# writes are refused with exit 6 naming `sambang check`, and the file is
# left byte for byte as it was; `sambang check` names the problem (exit 6);
# status says it; the mark (STORE.corrupt) outlives the process.
. "$(dirname "$0")/lib.sh"

for i in $(seq 1 300); do
  printf '{"collection":"notes","id":"n%03d","fields":{"text":"%0200d"}}\n' \
    "$i" "$i"
done >"$WORK/many.jsonl"
printf '{"collection":"notes","id":"x1","fields":{"x":1}}\n' >"$WORK/one.jsonl"

# A sound store passes check, and check takes no arguments.
expect_ok init
expect_ok import "$WORK/many.jsonl"
expect_ok check
expect_stdout_is "ok"
expect_fail 2 check extra

# Garbage over two pages in the middle of the file.
[ ! -e "$SAMBANG_DB-wal" ] || fail "the store should be checkpointed on close"
bash "$TESTS_DIR/tools/garble_pages.sh" "$SAMBANG_DB"
before=$(sha256sum <"$SAMBANG_DB")

# shellcheck disable=SC2089 # the quotes are JSON, not shell
for args in "put notes zz {\"x\":1}" "put notes n001 {\"x\":1}" \
  "rm notes n001" "rm notes n299" "import $WORK/one.jsonl" \
  "resolve notes n001 text \"a\"" "beneficiary add --name Siti --group anak --kecamatan Setu --consent yes"; do
  # shellcheck disable=SC2086,SC2090 # words split on purpose
  expect_fail 6 $args
  expect_stderr_contains "store $SAMBANG_DB is corrupt"
  expect_stderr_contains "sambang check"
  expect_stderr_contains "sambang recover"
  [ "$(sha256sum <"$SAMBANG_DB")" = "$before" ] || fail "$args changed the store"
done
[ -s "$SAMBANG_DB.corrupt" ] || fail "no corruption mark beside the store"

# check names the problem, exits 6, and changes nothing.
expect_fail 6 check
expect_stderr_contains "store $SAMBANG_DB is corrupt"
grep -q "Page [0-9]" "$OUT" || fail "check does not list the damaged pages"
[ "$(sha256sum <"$SAMBANG_DB")" = "$before" ] || fail "check changed the store"

# status says it (it cannot count on damaged pages: exit 6, the reason).
expect_fail 6 status
expect_stderr_contains "corrupt"

# The mark alone refuses writes, even with the quick check skipped.
SAMBANG_CHECK_MS=0 sb put notes zz '{"x":1}'
check_fail 6 put
expect_stderr_contains "sambang check"
[ "$(sha256sum <"$SAMBANG_DB")" = "$before" ] || fail "put changed the store"
SAMBANG_CHECK_MS=soon sb put notes zz '{"x":1}'
check_fail 4 put
expect_stderr_contains "SAMBANG_CHECK_MS"

# Damage found by a read marks the store too (no quick check here).
export SAMBANG_DB=$WORK/read.db
expect_ok init
expect_ok import "$WORK/many.jsonl"
bash "$TESTS_DIR/tools/garble_pages.sh" "$SAMBANG_DB"
export SAMBANG_CHECK_MS=0
expect_fail 6 export
[ -e "$SAMBANG_DB.corrupt" ] || fail "a failed read did not mark the store"
expect_fail 6 put notes zz '{"x":1}'
expect_stderr_contains "sambang check"
unset SAMBANG_CHECK_MS

# A mark on a sound store (say the damage was in a page since rewritten
# from a backup) goes once a full check passes. status shows it.
export SAMBANG_DB=$WORK/sound.db
expect_ok init
expect_ok status
expect_stdout_lacks "integrity:"
echo "damaged pages" >"$SAMBANG_DB.corrupt"
expect_ok status
expect_stdout_contains "integrity: corrupt (damaged pages): writes are refused; run \`sambang check\`"
expect_ok --json status
expect_stdout_contains '"integrity":"corrupt"'
expect_fail 6 put notes a '{"x":1}'
expect_ok check
[ ! -e "$SAMBANG_DB.corrupt" ] || fail "a passing check left the mark"
expect_ok put notes a '{"x":1}'

# Sound pages holding a record no writer makes (a state that does not
# decode, one that is another record's, an id that is not one): check
# reads every record, names each (exit 6) and marks the store; the writes
# are refused until recover rebuilds it without them.
export SAMBANG_DB=$WORK/rows.db
expect_ok init
expect_ok import "$WORK/many.jsonl"
sqlite3 "$SAMBANG_DB" "UPDATE records SET state = replace(state, '\"deleted\":false', '\"deleted\":0') WHERE id = 'n007';
  UPDATE records SET state = (SELECT state FROM records WHERE id = 'n009') WHERE id = 'n008';
  UPDATE records SET state = substr(state, 1, 40) WHERE id = 'n200'"
# status still shows the rest, and says what to run.
expect_ok status
expect_stdout_contains 'unreadable records: 3 (run `sambang check`, then `sambang recover`)'
expect_stdout_contains '  notes: 297'
expect_ok --json status
expect_stdout_contains '"unreadable":3'
expect_fail 6 get notes n007
expect_stderr_contains '`sambang check` lists every such record'
expect_fail 6 check
expect_stdout_contains 'record notes/n007 cannot be read (record notes/n007: "deleted" must be true or false)'
expect_stdout_contains 'record notes/n008 holds the state of notes/n009'
expect_stdout_contains 'record notes/n200 cannot be read ('
[ "$(wc -l <"$OUT")" = 3 ] || fail "check names other rows too: $(cat "$OUT")"
expect_stderr_contains ": 3 record(s) cannot be read (first: record notes/n007"
expect_stderr_contains "sambang recover"
grep -q 'notes/n007' "$SAMBANG_DB.corrupt" || fail "the mark does not give the first bad row"
expect_fail 6 put notes a '{"x":1}'
expect_fail 6 check
LANGUAGE=id expect_fail 6 check
expect_stdout_contains 'catatan notes/n007 tidak dapat dibaca ('

# A new store at the path of a damaged one starts unmarked.
export SAMBANG_DB=$WORK/again.db
echo "damaged pages" >"$SAMBANG_DB.corrupt"
expect_ok init
expect_ok put notes a '{"x":1}'

echo "ok"
