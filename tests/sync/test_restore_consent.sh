#!/usr/bin/env bash
# A consent withdrawal made after the copy the hub was put back from
# (daemon/hub/DESIGN.md, "Restoring from a copy"): a withdraws a person's
# consent, b (having pulled it) then edits the record, and a pulls b's
# edit: each holds the other's write, and b's write carries the
# withdrawal's "seen" (common/DESIGN.md, "Consent withdrawal wins"). After
# the restore both pushes are taken together: the withdrawal and b's edit
# come back, the person's name stays erased everywhere, all converge.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
port=${URL##*:}
enrol a
enrol b
ben a p1 Setu "Ibu Sari"
sync_once a
sync_once b
copy_store "$WORK/copy"

CASE="after the copy"
dev a put beneficiary p1 '{"consent":false}' >/dev/null || fail "withdraw on a"
sync_once a
sync_once b
dev b put beneficiary p1 '{"groups":["miskin","disabilitas"]}' >/dev/null ||
  fail "edit on b"
sync_once b
sync_once a
dev a get beneficiary p1 >"$OUT" || fail "get p1 on a"
grep -q 'disabilitas' "$OUT" || fail "a must hold b's edit: $(cat "$OUT")"
if grep -q 'Ibu Sari' "$OUT"; then fail "the name must be erased on a"; fi

CASE="put back"
stop_hub
put_back "$WORK/copy"
expect_hub_ok restored
start_hub_at "$port"
"$HUB" export >"$WORK/hub.export" || fail "export"
grep -q 'Ibu Sari' "$WORK/hub.export" || fail "the copy must hold the name"

CASE="both push"
sync_to_rest 4 a b
expect_converged a b
grep -q 'disabilitas' "$WORK/hub.export" || fail "b's edit is lost"
if grep -q 'Ibu Sari' "$WORK/hub.export"; then
  fail "the withdrawal is lost: the name is back at the hub"
fi
echo "ok"
