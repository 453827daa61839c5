#!/usr/bin/env bash
# `sambang recover` on a store whose pending marks (the table that says
# which local changes the hub has not acknowledged) are the damaged part:
# the rebuild cannot tell pushed rows from unpushed ones, so it keeps every
# row as pending and pushes all of them again (a no-op at the hub for
# those it has). Treating them as pushed would lose the unpushed writes.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || fail "sqlite3 (the CLI) is needed"
expect_hub_ok init
start_hub
enrol d1
enrol d2
notes_jsonl a 200 >"$WORK/a.jsonl"
dev d1 import "$WORK/a.jsonl" >/dev/null || fail "import on d1 failed"
sync_once d1
sync_once d2
expect_converged d1 d2

# Unpushed writes: new records and an edit of one the hub has.
for i in 1 2 3; do
  dev d1 put notes "u$i" "{\"local\":$i}" >/dev/null || fail "put u$i failed"
done
dev d1 put notes a-00009 '{"edited":true}' >/dev/null || fail "edit failed"

# Garbage over the pending marks' root page (the whole table: it is small).
root=$(sqlite3 "$WORK/d1.db" \
  "PRAGMA wal_checkpoint(TRUNCATE);
   SELECT rootpage FROM sqlite_schema WHERE name = 'pending'" | tail -n 1)
pgsz=$(sqlite3 "$WORK/d1.db" "PRAGMA page_size")
[ -n "$root" ] && [ "$root" -gt 1 ] || fail "no root page for pending: '$root'"
head -c "$pgsz" /dev/urandom >"$WORK/garbage"
dd if="$WORK/garbage" of="$WORK/d1.db" bs="$pgsz" seek=$((root - 1)) \
  conv=notrunc status=none
sqlite3 "$WORK/d1.db" "SELECT count(*) FROM pending" >/dev/null 2>&1 &&
  fail "setup: the pending marks still read"

dev d1 recover >"$OUT" 2>"$ERR" || fail "recover failed: $(cat "$ERR")"
grep -q "^recovered .*kept 203 unpushed" "$OUT" ||
  fail "recover did not keep every row as unpushed: $(cat "$OUT")"
grep -q "^synced: pushed 203, pulled" "$OUT" ||
  fail "recover did not push every row: $(cat "$OUT")"
dev d1 check >/dev/null || fail "the rebuilt store does not check ok"

sync_once d2
expect_converged d1 d2
for k in u1 u2 u3; do
  grep -q "\"id\":\"$k\"" "$WORK/hub.export" || fail "unpushed $k lost"
done
grep '"id":"a-00009"' "$WORK/hub.export" | grep -q '"edited"' ||
  fail "the unpushed edit of a-00009 was lost"
[ "$(wc -l <"$WORK/hub.export")" -eq 203 ] || fail "expected 203 records"
echo "ok"
