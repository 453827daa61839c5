#!/usr/bin/env bash
# A scoped page whose raw entries weigh more than a page may (8 MiB of
# states) is read in parts, and none is skipped: 2,500 visits of ~4 KB
# follow a beneficiary in Setu; it moves to Pamulang (every visit moves
# with it), then a new beneficiary is written in Setu. A device of scope
# Setu asking pages of 5000 is told every visit left and gets the new
# one. (On PostgreSQL the hub reads a scoped page's rows up to a byte
# bound, HUB_FEED_CUT; the walk must go on after the cut, not jump to the
# feed's end past the rows it did not read; and its export and check
# walk the records in reads of a thousand.)
. "$(dirname "$0")/lib.sh"

N=2500
expect_hub_ok init
start_hub
enrol office
enrol setu Setu
printf 'page = 5000\n' >"$WORK/big_pages.conf"
ben office b1 Setu
notes=$(head -c 3900 /dev/zero | tr '\0' 'n')
for ((i = 0; i < N; i++)); do
  printf '{"collection":"visit","id":"v%05d","fields":{"beneficiary":"b1","date":"2024-05-01","notes":"%s","programme":"skills-cooking"}}\n' \
    "$i" "$notes"
done >"$WORK/visits.jsonl"
dev office import "$WORK/visits.jsonl" >/dev/null || fail "import of the visits"
sync_once office
# The hub's walks read its records a thousand at a time on PostgreSQL:
# export and check see all 2,501 (three reads and a bit).
[ "$("$HUB" export | grep -c '"collection":"visit"')" = "$N" ] ||
  fail "the hub's export lacks visits"
"$HUB" check >"$OUT" 2>"$ERR" || fail "check of the hub failed: $(cat "$ERR")"
dev setu sync --once --config "$WORK/big_pages.conf" >"$OUT" 2>"$ERR" ||
  fail "the first pull of setu failed: $(cat "$ERR")"
[ "$(dev setu export | grep -c '"collection":"visit"')" = "$N" ] ||
  fail "setu holds $(dev setu export | grep -c '"collection":"visit"') of the $N visits"

dev office put beneficiary b1 '{"kecamatan":"Pamulang"}' >/dev/null || fail "move b1"
ben office b2 Setu
sync_once office
dev setu sync --once --config "$WORK/big_pages.conf" >"$OUT" 2>"$ERR" ||
  fail "the pull after the move failed: $(cat "$ERR")"
expect_ids setu "b2"
echo "ok ($N visits of ~4 KB left setu, b2 came)"
