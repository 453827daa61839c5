#!/usr/bin/env bash
# The device's scope in `status`, and a word when a write leaves a record
# outside it: a new record there is refused by the hub (warned on the
# spot, kept on the device), a record moved there leaves the device once
# the hub takes the change (said on the spot); nothing said inside the scope,
# on an `all` device, or before the hub has stated the scope.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol setu Setu
enrol office all
enrol fresh Setu # never syncs

CASE="the scope in status"
dev fresh status >"$OUT"
grep -q '^scope: not known until the first sync$' "$OUT" || fail "status before a sync: $(cat "$OUT")"
dev fresh beneficiary add --name "Ibu Sari" --group perempuan --kecamatan Pamulang \
  --consent yes >"$OUT" 2>"$ERR" || fail "add before the first sync"
[ ! -s "$ERR" ] || fail "a warning before the hub stated the scope: $(cat "$ERR")"
sync_once setu
dev setu status >"$OUT"
grep -q '^scope: Setu$' "$OUT" || fail "no scope line: $(cat "$OUT")"
dev setu --json status | grep -q '"scope":"Setu"' || fail "no scope in status --json"

CASE="inside the scope: nothing said"
dev setu beneficiary add --name "Ibu Ani" --group anak --kecamatan Setu \
  --consent yes >"$OUT" 2>"$ERR" || fail "add in Setu"
ani=$(cat "$OUT")
[ ! -s "$ERR" ] || fail "a warning inside the scope: $(cat "$ERR")"
sync_once setu # the hub holds Ani's record from here on

CASE="a new record outside: warned, kept, refused by the hub"
dev setu beneficiary add --name "Pak Budi" --group miskin --kecamatan Pamulang \
  --consent yes >"$OUT" 2>"$ERR" || fail "add in Pamulang must still write"
budi=$(cat "$OUT")
grep -q "^sambang: warning: Pamulang is outside this device's scope (Setu): the hub will refuse" "$ERR" ||
  fail "no warning: $(cat "$ERR")"
dev setu --json beneficiary edit "$budi" --kecamatan Ciputat >"$OUT" 2>"$ERR" ||
  fail "edit of the refused record"
grep -q '^{"warning":{"code":"out_of_scope","message":"Ciputat is outside this device.s scope (Setu): once the hub takes the change' "$ERR" ||
  fail "no --json warning: $(cat "$ERR")"
rc=0
dev setu sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "the out-of-scope record must be refused (exit 7), got $rc"
dev setu get beneficiary "$budi" >/dev/null || fail "the refused record left the device"
# The refusal in the user's language: the code's meaning first (the
# hub's own words are English), the record's key said once.
dev setu conflicts >"$OUT"
grep -q "^beneficiary	$budi	(rejected by the hub) out_of_scope (a pushed record is outside the pushing device's scope): the new record is outside" "$OUT" ||
  fail "the refusal line: $(cat "$OUT")"
LANG=id_ID.UTF-8 LANGUAGE=id dev setu conflicts >"$OUT"
grep -q "^beneficiary	$budi	(ditolak hub) out_of_scope (catatan yang dikirim berada di luar cakupan perangkat pengirim): " "$OUT" ||
  fail "the refusal line in Indonesian: $(cat "$OUT")"
dev setu status >"$OUT"
grep -q "last: beneficiary/$budi: out_of_scope (a pushed record is outside the pushing device's scope): the new record" "$OUT" ||
  fail "the last refusal in status: $(cat "$OUT")"

CASE="a record moved outside: said, and it leaves after the sync"
dev setu beneficiary edit "$ani" --kecamatan Serpong >"$OUT" 2>"$ERR" || fail "move"
grep -q "^sambang: Serpong is outside this device's scope (Setu): once the hub takes the change, the record leaves this device" "$ERR" ||
  fail "no note on the move: $(cat "$ERR")"
dev setu sync --once >/dev/null 2>&1 || true
set +e; dev setu get beneficiary "$ani" >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 3 ] || fail "the moved record is still on the device (get exit $rc)"
hub_export >"$WORK/hub.export"
grep "\"id\":\"$ani\"" "$WORK/hub.export" | grep -q '"value":"Serpong"' || fail "the move did not reach the hub: $(grep "$ani" "$WORK/hub.export")"

CASE="an all device: nothing said"
sync_once office
dev office beneficiary add --name "Ibu Tini" --group anak --kecamatan Pamulang \
  --consent yes >"$OUT" 2>"$ERR" || fail "add on office"
[ ! -s "$ERR" ] || fail "a warning on an all device: $(cat "$ERR")"
dev office status | grep -q '^scope: all$' || fail "the office device's scope line"

stop_hub
echo "ok"
