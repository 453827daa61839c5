#!/usr/bin/env bash
# A form saved again whole: only what changed is a write. Devices a and b
# each save every field of one beneficiary at once, changing one field
# each (a the kelurahan, b the contact); after syncing, nothing is in
# conflict (the unchanged fields were not written, so neither device
# wrote the other's field), every store equals the hub, and each holds
# both edits. Then both change the same field: that one field, and no
# other, is a conflict. A save that changes nothing leaves nothing to sync.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
for d in a b; do enrol "$d"; done

form() { # form DEVICE KELURAHAN CONTACT: every field of b1, saved at once
  dev "$1" put beneficiary b1 "{\"name\":\"Ibu Sari\",\"groups\":[\"perempuan\"],\"kecamatan\":\"Setu\",\"consent\":true,\"kelurahan\":\"$2\",\"contact\":\"$3\"}" >/dev/null ||
    fail "put on $1"
}
both() { sync_once a && sync_once b && sync_once a; }

form a Babakan 0811
both

CASE="a save that changes nothing"
form a Babakan 0811
dev a status >"$OUT" || fail "status on a"
grep -q '^unsynced changes: 0$' "$OUT" || fail "an unchanged save left a change: $(cat "$OUT")"

CASE="each changes another field"
form a Muncul 0811
form b Babakan 0822
both
expect_converged a b
dev b conflicts >"$OUT" || fail "conflicts on b"
[ ! -s "$OUT" ] || fail "unchanged fields made a conflict: $(cat "$OUT")"
dev b get beneficiary b1 >"$OUT" || fail "get on b"
grep -q '"kelurahan":"Muncul"' "$OUT" && grep -q '"contact":"0822"' "$OUT" ||
  fail "b lacks an edit: $(cat "$OUT")"

CASE="both change the same field"
form a Setu 0822
form b Kranggan 0822
both
expect_converged a b
dev b conflicts --no-values >"$OUT" || fail "conflicts on b"
[ "$(cat "$OUT")" = "$(printf 'beneficiary\tb1\tkelurahan')" ] ||
  fail "the conflict must be on kelurahan alone: $(cat "$OUT")"
"$HUB" conflicts >"$OUT"
[ "$(cat "$OUT")" = "$(printf 'beneficiary\tb1\tkelurahan')" ] ||
  fail "the hub lists: $(cat "$OUT")"
stop_hub
echo ok
