#!/usr/bin/env bash
# A store locked by another writer beyond the busy timeout: writes give
# up with exit 5 and change nothing; reads go on (WAL); once the lock is
# released, writes work again.
. "$(dirname "$0")/lib.sh"
fresh_store
expect_ok put notes a '{"x":1}'

# Another writer: sqlite3 holding BEGIN IMMEDIATE, fed through a fifo. It
# touches a marker file once it has the lock.
mkfifo "$WORK/fifo"
sqlite3 -bail "$SAMBANG_DB" <"$WORK/fifo" >"$WORK/holder.out" 2>&1 &
holder=$!
exec 3>"$WORK/fifo"
CLEANUP+=("exec 3>&-; kill $holder 2>/dev/null; wait $holder 2>/dev/null")
printf '.timeout 10000\nBEGIN IMMEDIATE;\n.system touch %s\n' \
  "$WORK/locked" >&3
wait_for_file "$WORK/locked"

export SAMBANG_BUSY_TIMEOUT_MS=200
snapshot
expect_fail 5 put notes b '{"x":2}'
expect_stderr_contains "store $SAMBANG_DB is locked by another writer (waited 200 ms)"
expect_fail 5 rm notes a
expect_stderr_contains "is locked by another writer"
expect_fail 5 beneficiary add --group anak --kecamatan Setu --consent no
expect_stderr_contains "is locked by another writer"
printf '{"collection":"notes","id":"c","fields":{"x":3}}\n' >"$WORK/one.jsonl"
expect_fail 5 import "$WORK/one.jsonl"
expect_stderr_contains "is locked by another writer"
# Readers are not blocked.
expect_ok get notes a
expect_stdout_is '{"x":1}'
expect_unchanged
expect_ok status

# A bad timeout value is refused.
SAMBANG_BUSY_TIMEOUT_MS=soon expect_fail 4 get notes a
expect_stderr_contains 'SAMBANG_BUSY_TIMEOUT_MS must be a whole number of milliseconds, not "soon"'

# Release the lock; the writer ends cleanly.
printf 'ROLLBACK;\n' >&3
exec 3>&-
wait "$holder" || fail "the lock holder failed: $(cat "$WORK/holder.out")"
CLEANUP=()
expect_ok put notes b '{"x":2}'
expect_ok get notes b
expect_stdout_is '{"x":2}'

echo "ok"
