#!/usr/bin/env bash
# A batch refused whole for one of its records (400 malformed, naming the
# record's index, as a hub does a state it cannot read) while another batch
# is still at the hub: the other batch's answers are applied when they come
# (its records acked, never sent again), then the refused batch is split
# until the record at fault is alone, which is kept as refused; the rest of
# its batch goes through. A stand-in hub (tests/tools/scripted_hub.py)
# holds both batches until both are there and answers the one holding the
# bad record first, so the refusal always meets the other batch in flight.
. "$(dirname "$0")/lib.sh"

scripted_d1 --bad n-00003 --ids "$WORK/ids" 200 200
rc=0
dev d1 sync --once --config "$WORK/once.conf" >"$OUT" 2>"$ERR" || rc=$?
# 7: the cycle completed, records were refused.
[ "$rc" -eq 7 ] || fail "sync --once exited $rc, expected 7: $(cat "$ERR")"
grep -q 'synced: pushed 999' "$OUT" || fail "expected 999 pushed: $(cat "$OUT")"
# The batch answered after the refusal was applied, not sent again: each
# of its records went once. The refused batch's went again in the split.
other=$(grep -c '^n-00[5-9]' "$WORK/ids")
again=$(grep '^n-00[5-9]' "$WORK/ids" | sort | uniq -d | wc -l)
[ "$other" -eq 500 ] && [ "$again" -eq 0 ] ||
  fail "the other batch was sent again ($other sends, $again repeated)"
[ "$(sort -u "$WORK/ids" | wc -l)" -eq 1000 ] || fail "not every record was sent"
# Only the record at fault is kept refused; nothing is left pending.
dev d1 status >"$OUT"
grep -q '^unsynced changes: 0$' "$OUT" || fail "rows left pending: $(cat "$OUT")"
dev d1 conflicts >"$OUT" 2>&1
grep -q '^notes.n-00003.*malformed' "$OUT" ||
  fail "conflicts does not list n-00003: $(cat "$OUT")"
[ "$(grep -c '^notes.n-' "$OUT")" -eq 1 ] ||
  fail "more than the record at fault is refused: $(cat "$OUT")"
echo "ok: a whole-batch refusal splits its batch, the other batch stays answered"
