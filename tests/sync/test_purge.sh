#!/usr/bin/env bash
# Safe tombstone purge (issue 12): `sambang-hub purge --older-than DAYS`
# removes the tombstones every active device has pulled (an active device
# behind holds it back, a revoked one does not); bad input changes
# nothing; the page states the purge horizon; a device offline across the
# purge pushes what it wrote, then re-downloads its scope and holds no
# purged record; a purged id pushed late is refused (purged), shown in
# status/conflicts, kept on its device and never back at the hub.
. "$(dirname "$0")/lib.sh"

purge() { # purge ARGS...: output in $OUT, exit code in $rc
  rc=0
  "$HUB" purge "$@" >"$OUT" 2>"$ERR" || rc=$?
}

expect_hub_ok init
start_hub
enrol office all
enrol setu Setu
enrol late Setu
enrol lost all

for b in b1 b2 b3 b4; do ben office $b Setu; done
ben office p1 Pamulang
sync_once office
for d in setu late lost; do sync_once "$d"; done
expect_ids late "b1 b2 b3 b4"

# late goes offline and keeps working: an edit and a new record.
dev late put beneficiary b3 '{"name":"Ibu b3 offline"}' >/dev/null
ben late b9 Setu
# lost edits b2 offline (it will be deleted and purged meanwhile).
dev lost put beneficiary b2 '{"name":"Ibu b2 lost edit"}' >/dev/null

# The office deletes b1 and b2; setu and office pull the tombstones.
dev office rm beneficiary b1 >/dev/null || fail "rm b1"
dev office rm beneficiary b2 >/dev/null || fail "rm b2"
sync_once office
sync_once setu
# The hub knows a device's cursor from its next request (a running
# sambangd long-polls from it at once): one more pull each.
sync_once office
sync_once setu
expect_ids setu "b3 b4"
"$HUB" export >"$WORK/before"

# Bad input changes nothing.
for args in "" "--older-than" "--older-than -1" "--older-than abc" \
  "--older-than 1.5" "--older-than 99999999999" "--older-than 0 --older-than 0" \
  "--days 0"; do
  # shellcheck disable=SC2086
  purge $args
  [ "$rc" = 2 ] || fail "purge $args: exit 2, got $rc"
  [ -s "$ERR" ] || fail "purge $args: no error message"
done
"$HUB" export >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "a refused purge changed the store"

# Active devices behind (late, lost) hold the purge back.
purge --older-than 0
[ "$rc" = 0 ] || fail "purge: $(cat "$ERR")"
grep -qx 'purged 0, kept 2, horizon 0' "$OUT" || fail "held back: $(cat "$OUT")"
# Too recent: nothing either way.
"$HUB" device revoke late >/dev/null 2>&1 || fail "revoke late"
"$HUB" device revoke lost >/dev/null 2>&1 || fail "revoke lost"
purge --older-than 1
grep -qx 'purged 0, kept 0, horizon 0' "$OUT" || fail "deletes of today are kept: $(cat "$OUT")"
# Revoked devices do not hold it back.
purge --older-than 0
[ "$rc" = 0 ] || fail "purge: $(cat "$ERR")"
grep -q '^purged 2, kept 0, horizon [1-9]' "$OUT" || fail "purge: $(cat "$OUT")"
horizon=$(sed -n 's/.*horizon \([0-9]*\)$/\1/p' "$OUT")
[ "$(hub_ids)" = "b3 b4 p1 " ] || fail "hub holds [$(hub_ids)] after the purge"
grep -qa '"b1"' "$WORK/hub.db" 2>/dev/null && true # (the ledger keeps the id)
# The page states the horizon.
r=$(replica_of setu)
pull "$(cat "$WORK/setu.tok")" "$r" 'since=0'
expect_status 200
grep -qF "\"horizon\":$horizon," "$BODY" || fail "the page lacks the horizon: $(cat "$BODY")"
# A device that pulled past it carries on.
sync_once setu
expect_ids setu "b3 b4"

# late is enrolled again (found): it pushes what it wrote, then re-syncs
# its scope, holding nothing purged.
"$HUB" device add late --scope Setu >"$WORK/late.tok2" 2>/dev/null || fail "re-enrol late"
dev late token set --file "$WORK/late.tok2" 2>/dev/null || fail "token set late"
dev late sync --once >"$OUT" 2>"$ERR" || fail "late's re-sync: $(cat "$ERR")"
expect_ids late "b3 b4 b9"
dev late get beneficiary b3 | grep -qF 'Ibu b3 offline' || fail "late lost its edit"
"$HUB" export >"$WORK/hub.export"
grep -qF 'Ibu b3 offline' "$WORK/hub.export" || fail "late's edit did not reach the hub"
grep -qF '"id":"b9"' "$WORK/hub.export" || fail "late's new record did not reach the hub"
dev late --json status >"$OUT"
sync_once late # a second cycle: no second wipe, nothing changes
expect_ids late "b3 b4 b9"
sync_once setu
expect_ids setu "b3 b4 b9"
dev late export >"$WORK/late.x"
dev setu export >"$WORK/setu.x"
cmp -s "$WORK/late.x" "$WORK/setu.x" || fail "late and setu differ after the re-sync"

# lost is enrolled again: its late push of b2 is refused as purged, the
# rest goes on, b2 never comes back at the hub, and lost keeps its edit.
"$HUB" device add lost --scope all >"$WORK/lost.tok2" 2>/dev/null || fail "re-enrol lost"
dev lost token set --file "$WORK/lost.tok2" 2>/dev/null || fail "token set lost"
rc=0
dev lost sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "a refused record: sync exits 7, got $rc: $(cat "$ERR")"
grep -q 'purged' "$ERR" || fail "sync names the reason: $(cat "$ERR")"
[ "$(hub_ids)" = "b3 b4 b9 p1 " ] || fail "hub holds [$(hub_ids)] after lost's push"
dev lost conflicts >"$OUT"
grep -q 'b2' "$OUT" && grep -q 'purged' "$OUT" || fail "conflicts: $(cat "$OUT")"
dev lost status >"$OUT"
grep -q 'rejected by the hub: 1' "$OUT" || fail "status shows the refusal: $(cat "$OUT")"
expect_ids lost "b2 b3 b4 b9 p1"
dev lost get beneficiary b2 | grep -qF 'Ibu b2 lost edit' || fail "lost dropped its edit"
# Nobody else ever gets b2 again (office keeps the tombstones it pulled
# before the purge: deleted, no field of the person left).
sync_once office
sync_once setu
live=$(dev office export | grep -F '"deleted":false' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | LC_ALL=C sort | tr '\n' ' ')
[ "$live" = "b3 b4 b9 p1 " ] || fail "office holds [$live]"
dev office export | grep -F 'Ibu b2' && fail "b2's data came back to office"
expect_ids setu "b3 b4 b9"
echo "ok"
