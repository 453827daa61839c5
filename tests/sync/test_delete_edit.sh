#!/usr/bin/env bash
# Validation is per write, never per merge: device a deletes a beneficiary
# while b, concurrently, edits it, in both push orders. Both writes are
# valid; their merge lacks the required fields the delete took away. The
# hub refuses neither (every `sync --once` exits 0, nothing stays
# unsynced or refused), every export is the hub's byte for byte, the record
# stays alive (a live edit beats a delete it had not seen), and the device
# stores and the hub list it alike: a conflict (the delete met an edit)
# that needs review, naming the broken rule.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
for d in a b; do enrol "$d"; done

add() { # add KELURAHAN: a beneficiary on a, synced to b; prints its id
  dev a beneficiary add --name "Ibu $1" --consent yes --group perempuan \
    --kecamatan Setu --kelurahan "$1" || fail "beneficiary add on a"
}

# case ID FIRST SECOND: a deletes ID, b edits it; FIRST pushes first.
case_of() {
  local id=$1 first=$2 second=$3 d
  CASE="delete-edit, $first first"
  dev a rm beneficiary "$id" >/dev/null || fail "rm on a"
  dev b beneficiary edit "$id" --kelurahan Muncul >/dev/null || fail "edit on b"
  for d in "$first" "$second" "$first" "$second"; do
    sync_once "$d" # fails the test unless `sync --once` exits 0
  done
  expect_converged a b
  for d in a b; do
    dev "$d" status >"$OUT" || fail "status on $d"
    grep -q '^unsynced changes: 0$' "$OUT" || fail "$d has unsynced changes: $(cat "$OUT")"
    if grep -q 'rejected by the hub' "$OUT"; then
      fail "$d holds refused records: $(cat "$OUT")"
    fi
    grep -q '^needing review: 1 ' "$OUT" || fail "$d does not count the review: $(cat "$OUT")"
    dev "$d" conflicts >"$WORK/$d.conflicts" || fail "conflicts on $d"
  done
  cmp -s "$WORK/a.conflicts" "$WORK/b.conflicts" ||
    fail "a and b list different conflicts: $(diff "$WORK/a.conflicts" "$WORK/b.conflicts")"
  "$HUB" conflicts >"$WORK/hub.conflicts" || fail "sambang-hub conflicts"
  cmp -s "$WORK/a.conflicts" "$WORK/hub.conflicts" ||
    fail "the hub lists other conflicts: $(diff "$WORK/a.conflicts" "$WORK/hub.conflicts")"
  grep -q "^beneficiary	$id	(deleted)" "$WORK/a.conflicts" ||
    fail "the delete-vs-edit conflict is not listed: $(cat "$WORK/a.conflicts")"
  grep -q "^beneficiary	$id	(needs review) .*missing required field" "$WORK/a.conflicts" ||
    fail "the broken rule is not listed: $(cat "$WORK/a.conflicts")"
  # With values, the hub names the device whose delete met the edit.
  "$HUB" conflicts --values >"$WORK/hub.values" || fail "sambang-hub conflicts --values"
  grep -q "^  (deleted)  (device a, [0-9-]* [0-9:]*)$" "$WORK/hub.values" ||
    fail "no delete line naming device a: $(cat "$WORK/hub.values")"
  # And so do the devices, by the names the hub gave at their syncs (the
  # hub's GET /v1/names), b its peer's, a its own, not their replica ids.
  for d in a b; do
    dev "$d" conflicts --values >"$WORK/$d.values" || fail "conflicts --values on $d"
    grep -q "^  (deleted)  (device a, [0-9-]* [0-9:]*): edit to keep the record, or rm it$" \
      "$WORK/$d.values" || fail "$d does not name device a: $(cat "$WORK/$d.values")"
  done
  dev b beneficiary show "$id" >"$OUT" || fail "the edited record is gone on b"
  grep -q 'Muncul' "$OUT" || fail "b's edit was lost: $(cat "$OUT")"
  # Settling it: an edit on either side that holds the rule again.
  dev b beneficiary edit "$id" --group perempuan --kecamatan Setu \
    --consent yes >/dev/null || fail "the settling edit on b"
  for d in b a; do sync_once "$d"; done
  expect_converged a b
  dev a conflicts >"$OUT" || fail "conflicts on a"
  if grep -q "(needs review)" "$OUT"; then
    fail "settled, yet still listed: $(cat "$OUT")"
  fi
  CASE=
}

X=$(add Kademangan)
Y=$(add Babakan)
sync_once a
sync_once b
case_of "$X" a b
case_of "$Y" b a
stop_hub
echo ok
