#!/usr/bin/env bash
# Scoped sync (issue 12): each device holds only the records of its scope
# (kecamatan; a visit follows its beneficiary), in its store and on the
# wire; a record that moves away leaves the devices that no longer cover
# it (with its visits) and reaches those that do; a scope that shrinks
# removes records, one that grows brings them; a push outside the scope
# is refused per record and blocks nothing, and goes through once the
# record is in scope again; a device's own move is pushed before the
# record leaves it; `sambang token set` after rotate.
. "$(dirname "$0")/lib.sh"

# wire NAME: the body of a full pull with the device's own token.
wire() {
  local r
  r=$(replica_of "$1")
  pull "$(cat "$WORK/$1.tok")" "$r" 'since=0&limit=1000'
  expect_status 200
}

expect_hub_ok init
start_hub
enrol office all
enrol setu Setu
enrol pam Pamulang
enrol both Setu,Pamulang

ben office b1 Setu
ben office b2 Pamulang
ben office b3 Ciputat
visit office v1 b1
visit office v2 b2
visit office v3 b3
sync_once office
for d in setu pam both; do sync_once "$d"; done
expect_ids setu "b1 v1"
expect_ids pam "b2 v2"
expect_ids both "b1 b2 v1 v2"
expect_ids office "b1 b2 b3 v1 v2 v3"

# The wire: a pull with setu's token carries nothing of another kecamatan.
wire setu
for x in b2 b3 v2 v3 'Ibu b2' 'Ibu b3'; do
  grep -qF "\"$x\"" "$BODY" && fail "setu's pull carries $x"
done
grep -qF '"id":"b1"' "$BODY" || fail "setu's pull lacks b1"
grep -qF '"scope":"Setu"' "$BODY" || fail "the page names setu's scope"

# A move: b1 goes to Pamulang. It (and its visit v1) leave setu, reach pam.
dev office put beneficiary b1 '{"kecamatan":"Pamulang"}' >/dev/null
sync_once office
sync_once setu
expect_ids setu ""
sync_once pam
expect_ids pam "b1 b2 v1 v2"
sync_once both
expect_ids both "b1 b2 v1 v2"
wire setu
grep -qF 'Ibu b1' "$BODY" && fail "setu's pull still carries b1's state"
grep -qF '{"gone":{"collection":"beneficiary","id":"b1"}' "$BODY" ||
  fail "setu's pull from 0 tells it b1 is gone"

# Gone from the file, not a tombstone: the name is nowhere in setu's files
# once SQLite checkpoints (secure_delete is on).
dev setu check >/dev/null || fail "setu's store is sound"
if grep -qaF 'Ibu b1' "$WORK/setu.db" "$WORK/setu.db-wal" 2>/dev/null; then
  fail "b1's name is still in setu's store file"
fi

# A scope that shrinks: both loses Pamulang; everything there leaves it.
"$HUB" device scope both --set Setu >/dev/null 2>&1 || fail "device scope"
ben office b4 Setu
sync_once office
sync_once both
expect_ids both "b4"
# And grows: Ciputat comes in (from the start, not only new changes).
"$HUB" device scope both --set Setu,Ciputat >/dev/null 2>&1 || fail "device scope"
sync_once both
expect_ids both "b3 b4 v3"

# A device's own move: setu records v5 for b5, then moves b5 to Ciputat,
# offline. Both are pushed (nothing lost), then leave setu.
sync_once setu
ben setu b5 Setu
visit setu v5 b5
sync_once setu
expect_ids setu "b4 b5 v5"
visit setu v6 b5
dev setu put beneficiary b5 '{"kecamatan":"Ciputat","name":"Ibu b5 pindah"}' >/dev/null
dev setu sync --once >"$OUT" 2>"$ERR" || { dev setu conflicts >&2; fail "own move refused: $(cat "$ERR")"; }
sync_once setu
expect_ids setu "b4"
"$HUB" export >"$WORK/hub.export"
grep -qF 'Ibu b5 pindah' "$WORK/hub.export" || fail "setu's move was lost"
grep -qF '"id":"v6"' "$WORK/hub.export" || fail "setu's visit v6 was lost"
sync_once both
expect_ids both "b3 b4 b5 v3 v5 v6"

# refused_sync NAME WHAT: the office moves b4 to Serpong and syncs, then
# NAME's sync --once must exit 7 (records refused).
refused_sync() {
  local rc=0
  dev office put beneficiary b4 '{"kecamatan":"Serpong"}' >/dev/null
  sync_once office
  dev "$1" sync --once >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" = 7 ] || fail "$2: sync exits 7, got $rc: $(cat "$ERR")"
}

# A push outside the scope is refused per record and blocks nothing:
# setu edits b4 offline while the office moves it to Serpong.
dev setu put beneficiary b4 '{"name":"Ibu b4 edit"}' >/dev/null
ben setu b7 Setu
refused_sync setu "a refused record"
grep -q 'out_of_scope' "$ERR" || fail "sync names the reason: $(cat "$ERR")"
[ "$(curl -sS "$URL/metrics" | awk '$1 == "sambang_hub_records_refused_total{code=\"out_of_scope\"}" { print $2 }')" = 1 ] ||
  fail "the hub's metrics do not count the out_of_scope refusal"
"$HUB" export >"$WORK/hub.export"
grep -qF '"id":"b7"' "$WORK/hub.export" || fail "b7 was blocked by b4's refusal"
grep -qF 'Ibu b4 edit' "$WORK/hub.export" && fail "the out-of-scope edit reached the hub"
dev setu conflicts >"$OUT"
grep -q 'b4' "$OUT" && grep -q 'out_of_scope' "$OUT" ||
  fail "conflicts shows the refusal: $(cat "$OUT")"
dev setu status >"$OUT"
grep -q 'rejected by the hub: 1' "$OUT" || fail "status shows the refusal"
# The edit is kept on the device (never dropped while not at the hub).
dev setu get beneficiary b4 | grep -qF 'Ibu b4 edit' || fail "setu lost its edit"

# News that does not concern b4 (the office adds b10 in Setu) leaves the
# refusal alone: it is not pushed, and refused, again (the hub counts
# one out_of_scope refusal still); setu gets b10 and keeps its edit.
ben office b10 Setu
sync_once office
rc=0
dev setu sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "the kept refusal: sync exits 7, got $rc: $(cat "$ERR")"
[ "$(curl -sS "$URL/metrics" | awk '$1 == "sambang_hub_records_refused_total{code=\"out_of_scope\"}" { print $2 }')" = 1 ] ||
  fail "an unrelated change pushed the refused edit again"
dev setu get beneficiary b10 >/dev/null || fail "setu did not get b10"
dev setu get beneficiary b4 | grep -qF 'Ibu b4 edit' || fail "setu lost its edit"

# In scope again, the refusal lifts: the office moves b4 back to Setu and
# setu's next sync pushes the kept edit in the same run (exit 0).
dev office put beneficiary b4 '{"kecamatan":"Setu"}' >/dev/null
sync_once office
sync_once setu
"$HUB" export >"$WORK/hub.export"
grep -qF 'Ibu b4 edit' "$WORK/hub.export" ||
  fail "setu's kept edit did not go through once b4 was in scope again"
dev setu status >"$OUT"
grep -q 'rejected by the hub: [1-9]' "$OUT" && fail "the refusal still shows: $(cat "$OUT")"

# A visit refused because its beneficiary left (setu records v8 offline
# while the office moves b4 to Serpong) goes through once setu's scope
# grows to cover b4; when it shrinks back, both leave setu.
visit setu v8 b4
refused_sync setu "v8 of b4 (moved away)"
"$HUB" device scope setu --set Setu,Serpong >/dev/null 2>&1 || fail "device scope"
sync_once setu
"$HUB" export >"$WORK/hub.export"
grep -qF '"id":"v8"' "$WORK/hub.export" || fail "v8 did not go through once setu's scope covered b4"
"$HUB" device scope setu --set Setu >/dev/null 2>&1 || fail "device scope"
sync_once setu

# Rotate: the old token stops; `sambang token set` (file or stdin, never
# argv) gives the store the new one.
"$HUB" device rotate pam >"$WORK/pam.tok2" || fail "rotate"
rc=0
dev pam sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" != 0 ] || fail "the old token still works"
rc=0
dev pam token set "$(cat "$WORK/pam.tok2")" >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 2 ] || fail "a token on the command line must be refused (2), got $rc"
dev pam token set --file "$WORK/pam.tok2" 2>/dev/null || fail "token set --file"
sync_once pam
dev pam token set - <"$WORK/pam.tok2" 2>/dev/null || fail "token set -"
sync_once pam
printf 'two words\n' >"$WORK/bad.tok"
rc=0
dev pam token set --file "$WORK/bad.tok" 2>"$ERR" || rc=$?
[ "$rc" = 4 ] || fail "a malformed token: exit 4, got $rc"
sync_once pam

# Every device converged with the hub on what its scope holds.
for d in setu pam both office; do sync_once "$d"; done
expect_ids setu "b10 b7"
expect_ids both "b10 b3 b5 b7 v3 v5 v6" # b4 (and v8) are in Serpong now
expect_ids pam "b1 b2 v1 v2"
expect_ids office "b1 b10 b2 b3 b4 b5 b7 v1 v2 v3 v5 v6 v8"

# Several leave in one page: b11 and b12 move to Pamulang in one push;
# setu's next page removes both and every visit following either (found
# in one walk of the visits), and keeps b13 and its visit.
for b in b11 b12 b13; do ben office "$b" Setu; done
for v in v11:b11 v12:b12 v12b:b12 v13:b13; do visit office "${v%%:*}" "${v##*:}"; done
sync_once office
sync_once setu
expect_ids setu "b10 b11 b12 b13 b7 v11 v12 v12b v13"
dev office put beneficiary b11 '{"kecamatan":"Pamulang"}' >/dev/null
dev office put beneficiary b12 '{"kecamatan":"Pamulang"}' >/dev/null
sync_once office
sync_once setu
expect_ids setu "b10 b13 b7 v13"
grep -qx "removed 5: they left this device's scope" "$OUT" ||
  fail "the sync says what left: $(cat "$OUT")"
sync_once pam
expect_ids pam "b1 b11 b12 b2 v1 v11 v12 v12b v2"
echo "ok"
