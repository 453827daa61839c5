#!/usr/bin/env bash
# A device's store copied to a second machine (an SD card imaged after
# `sambang init`, a laptop's home copied): both copies write as one
# device, under one replica id. Where both edit the same record, the
# second to push reuses a dot the hub holds from the first: the hub
# refuses it and says what happened (two stores write as this device, each
# needs its own enrolment), the first copy's write stays on the hub, and
# the second keeps its own edit, marked, so nothing is lost while the
# office enrols it apart (daemon/sync/DESIGN.md, "Not yet").
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol d1
ben d1 b1 Setu
sync_once d1
cp "$WORK/d1.db" "$WORK/copy.db"
cp "$WORK/d1.db.token" "$WORK/copy.db.token"

dev d1 put beneficiary b1 '{"contact":"0812-d1"}' >/dev/null ||
  fail "edit on d1 failed"
dev copy put beneficiary b1 '{"contact":"0812-copy"}' >/dev/null ||
  fail "edit on the copy failed"
sync_once d1

rc=0
dev copy sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "the copy's sync exited $rc, not 7: $(cat "$ERR")"
grep -q 'dot_reused' "$ERR" || fail "the copy's sync does not name the refusal"
dev copy conflicts >"$OUT"
grep -q 'two stores write as this device' "$OUT" ||
  fail "the refusal does not say the store is shared: $(cat "$OUT")"
grep -q 'own enrolment' "$OUT" || fail "the refusal does not say what to do"

# The first copy's write is the hub's; the second keeps its own, marked.
hub_export | grep -q '0812-d1' || fail "d1's edit is not on the hub"
hub_export | grep -q '0812-copy' && fail "the copy's edit reached the hub"
dev copy get beneficiary b1 >"$OUT"
grep -q '0812-copy' "$OUT" || fail "the copy lost its own edit: $(cat "$OUT")"
dev d1 get beneficiary b1 >"$OUT"
grep -q '0812-d1' "$OUT" || fail "d1 lost its edit: $(cat "$OUT")"
stop_hub
echo ok
