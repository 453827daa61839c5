#!/usr/bin/env bash
# Issue 14: no echo. A device that pushes records does not pull them back
# (the hub passes over the feed entries whose state is exactly what that
# device pushed, when it asks with skip_own=1), yet it does get every merge
# result it lacks, and a rebuilt store (recover) gets its own records back.
# The hub's records_served_total counts every state sent in a page.
. "$(dirname "$0")/lib.sh"

served() { metric sambang_hub_records_served_total; }
# expect_served N: the hub sent exactly N states since the last mark.
mark_served() { MARK=$(served); }
expect_served() {
  local now
  now=$(served)
  [ "$((now - MARK))" -eq "$1" ] ||
    fail "the hub sent $((now - MARK)) states, expected $1 ($2)"
}

expect_hub_ok init
start_hub
enrol d1
enrol d2

# 1. d1 pushes 300 records: the pull brings none back, and d1 is
# byte-identical to the hub.
notes_jsonl a 300 >"$WORK/a.jsonl"
dev d1 import "$WORK/a.jsonl" >/dev/null || fail "import on d1"
mark_served
sync_once d1
grep -qx 'synced: pushed 300, pulled 0' "$OUT" || fail "d1 push: $(cat "$OUT")"
expect_served 0 "d1's own 300 records came back"
expect_converged d1
# A second device gets all of them.
mark_served
sync_once d2
grep -qx 'synced: pushed 0, pulled 300' "$OUT" || fail "d2 pull: $(cat "$OUT")"
expect_served 300 "d2's fresh pull"
expect_converged d1 d2

# The wire: the cursor moves past the echoes (next is the hub's newest),
# without skip_own they come, and a bad skip_own is a bad_query.
tok=$(cat "$WORK/d1.tok")
rep=$(replica_of d1)
pull "$tok" "$rep" 'since=0&limit=1000&skip_own=1'
expect_status 200
[ "$(page_size)" -eq 0 ] || fail "skip_own=1 sent $(page_size) echoes"
[ "$(page_next)" -eq 300 ] || fail "skip_own=1: next $(page_next), not 300"
pull "$tok" "$rep" 'since=0&limit=1000&skip_own=0'
[ "$(page_size)" -eq 300 ] || fail "skip_own=0 sent $(page_size), not 300"
pull "$tok" "$rep" 'since=0&limit=1000'
[ "$(page_size)" -eq 300 ] || fail "no skip_own sent $(page_size), not 300"
pull "$tok" "$rep" 'since=0&skip_own=yes'
expect_error 400 bad_query
expect_body_contains skip_own
# Another device's skip_own passes over nothing of d1's.
tok2=$(cat "$WORK/d2.tok")
rep2=$(replica_of d2)
pull "$tok2" "$rep2" 'since=0&limit=1000&skip_own=1'
[ "$(page_size)" -eq 300 ] || fail "d2 with skip_own got $(page_size)"

# 2. A concurrent edit: the hub's merge of d1's push differs from what d1
# sent (d2's sibling is in it), so d1 receives it.
dev d1 put notes a-00001 '{"by":"d1"}' >/dev/null || fail "put on d1"
dev d2 put notes a-00001 '{"by":"d2"}' >/dev/null || fail "put on d2"
dev d1 put notes a-00002 '{"by":"d1"}' >/dev/null || fail "put a-00002 on d1"
sync_once d2
mark_served
sync_once d1
grep -qx 'synced: pushed 2, pulled 1' "$OUT" || fail "d1 concurrent: $(cat "$OUT")"
expect_served 1 "only the merged a-00001 goes back to d1"
sync_once d2
expect_converged d1 d2
dev d1 conflicts >"$OUT" || fail "conflicts on d1"
grep -q a-00001 "$OUT" || fail "d1 does not show the conflict: $(cat "$OUT")"

# 3. A later write by another device changes a record d1 pushed: sent.
dev d2 put notes a-00005 '{"later":true}' >/dev/null || fail "put a-00005"
sync_once d2
mark_served
sync_once d1
grep -qx 'synced: pushed 0, pulled 1' "$OUT" || fail "d1 later write: $(cat "$OUT")"
expect_served 1 "d2's later write"
expect_converged d1 d2

# 4. recover: the rebuilt store does not opt in (it may have lost rows),
# so the hub sends d1's own records back: recover syncs from cursor 0.
mark_served
dev d1 recover >"$OUT" 2>"$ERR" || fail "recover failed: $(cat "$ERR")"
grep -q '^synced: ' "$OUT" || fail "recover did not sync: $(cat "$OUT")"
expect_served 300 "a recovered store re-pulls its own records"
expect_converged d1 d2
# Rows lost for real: garbage over pages in the middle of the file.
size=$(stat -c %s "$WORK/d1.db")
head -c 16384 /dev/urandom >"$WORK/garbage"
dd if="$WORK/garbage" of="$WORK/d1.db" bs=4096 seek=$((size / 8192)) \
  conv=notrunc status=none
dev d1 recover >"$OUT" 2>"$ERR" || fail "recover of a damaged store: $(cat "$ERR")"
grep -q '^synced: pushed 0, pulled [1-9]' "$OUT" ||
  fail "the lost rows did not come back: $(cat "$OUT")"
expect_converged d1 d2
# And it stays without skip_own: a later sync of d1 is still complete.
sync_once d1
expect_converged d1 d2
echo "ok"
