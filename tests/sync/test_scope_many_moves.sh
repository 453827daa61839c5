#!/usr/bin/env bash
# A beneficiary that moves between kecamatan more often than the hub keeps
# moves for (HUB_SCOPE_MOVES_MAX, 8: the two oldest then fold into one,
# the union of the parts they left): every device still ends with exactly
# what its scope holds. A device of Setu that held the beneficiary and its
# visit, offline while they left Setu and then moved ten times elsewhere,
# is told both are gone (the move out of Setu survives only folded), and
# gets them back when they return.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol office
enrol setu Setu
enrol late Setu
enrol pam Pamulang
ben office b1 Setu
visit office v1 b1
sync_once office
sync_once setu
sync_once late
expect_ids late "b1 v1"

# It leaves Setu once, then moves ten times more outside it: the move out
# of Setu is among those folded. setu follows each move; late stays
# offline.
moves=(Pamulang Ciputat Serpong "Pondok Aren" "Ciputat Timur" "Serpong Utara"
  Pamulang Ciputat Serpong "Pondok Aren" Pamulang)
for k in "${moves[@]}"; do
  dev office put beneficiary b1 "{\"kecamatan\":\"$k\"}" >/dev/null || fail "move to $k"
  sync_once office
  sync_once setu
  expect_ids setu ""
done
if [ "${SAMBANG_TEST_PG:-0}" != 1 ]; then
  kept=$(sqlite3 "$SAMBANG_HUB_DB" "SELECT value FROM meta WHERE key = 'scope.moved.beneficiary/b1'")
  n=$(grep -o '\[[0-9]*,' <<<"$kept" | wc -l)
  [ "$n" = 8 ] || fail "the hub keeps $n moves of b1, not 8: $kept"
  grep -q 'Setu' <<<"$kept" || fail "the folded moves lost Setu: $kept"
fi

# late, whose cursor is before every move, is told b1 and v1 left (the
# fold kept Setu among the parts they left); pam gets them.
sync_once late
expect_ids late ""
sync_once pam
expect_ids pam "b1 v1"

# Back to Setu: late gets both again, pam is told they left.
dev office put beneficiary b1 '{"kecamatan":"Setu"}' >/dev/null || fail "move back"
sync_once office
sync_once late
expect_ids late "b1 v1"
sync_once pam
expect_ids pam ""
"$HUB" export >"$WORK/hub.export"
for d in late setu; do
  sync_once "$d"
  dev "$d" export >"$WORK/$d.export"
  cmp -s "$WORK/$d.export" "$WORK/hub.export" ||
    fail "$d differs from the hub: $(diff "$WORK/$d.export" "$WORK/hub.export" | head -5)"
done
stop_hub
echo ok
