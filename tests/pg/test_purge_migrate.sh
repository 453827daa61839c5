#!/usr/bin/env bash
# Purge on PostgreSQL, and `migrate` after a purge (issue 13): a SQLite hub
# that purged a tombstone (its newest record, so the feed's newest number
# is above every row) is migrated; on PostgreSQL the horizon, the ledger,
# the devices' cursors and the feed's newest number carry on: a late push
# of the purged id is refused (purged), the page states the horizon, no
# number is handed out twice, and `purge` works there (bad input changes
# nothing; a tombstone every device pulled goes, the horizon moves).
. "$(dirname "$0")/migrate_lib.sh"

enrol d1
enrol d2
for i in 1 2 3; do dev d1 put notes "n$i" "{\"i\":$i}" >/dev/null; done
sync_once d1
dev d1 rm notes n3 >/dev/null || fail "rm n3"
sync_once d1
for d in d2 d1 d2; do sync_once "$d"; done # cursors past the tombstone
expect_hub_ok purge --older-than 0
grep -q '^purged 1, kept 0, horizon [1-9]' "$OUT" || fail "SQLite purge: $(cat "$OUT")"
horizon=$(sed -n 's/.*horizon \([0-9]*\)$/\1/p' "$OUT")
stop_hub

CASE="migrate"
PGURI=$(pg_createdb hub)
expect_hub_ok migrate --from "$SAMBANG_HUB_DB" --to "$PGURI"
export SAMBANG_HUB_DB=$PGURI
[ "$(hub_ids)" = "n1 n2 " ] || fail "PostgreSQL holds [$(hub_ids)]"
[ "$(pg_sql hub "SELECT count(*) FROM meta WHERE key LIKE 'device.cursor.%'")" = 2 ] ||
  fail "the devices' cursors must be copied"
[ "$(pg_sql hub "SELECT value FROM meta WHERE key = 'purge.id.notes/n3'")" = "$horizon" ] ||
  fail "the purge ledger must be copied"
[ "$(pg_sql hub "SELECT seq FROM feed_counter")" -ge "$horizon" ] ||
  fail "the feed's newest number must be copied"

CASE="bad input"
"$HUB" export >"$WORK/before"
for args in "" "--older-than" "--older-than -1" "--older-than abc"; do
  # shellcheck disable=SC2086
  hub purge $args
  [ "$RC" = 2 ] || fail "purge $args: exit 2, got $RC"
done
"$HUB" export >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "a refused purge changed the store"

CASE="carry on"
start_hub_at "$port"
expect_hub_ok purge --older-than 0
grep -qx "purged 0, kept 0, horizon $horizon" "$OUT" || fail "PostgreSQL purge: $(cat "$OUT")"
r=$(replica_of d2)
pull "$(cat "$WORK/d2.tok")" "$r" 'since=0'
expect_status 200
grep -qF "\"horizon\":$horizon," "$BODY" || fail "the page lacks the horizon: $(cat "$BODY")"
dev d1 put notes n4 '{"i":4}' >/dev/null
sync_once d1
seq4=$(pg_sql hub "SELECT seq FROM records WHERE id = 'n4'")
[ "$seq4" -gt "$horizon" ] || fail "n4 got seq $seq4, not above the purged $horizon"
# A new device recording n3 again: refused as purged, never back.
enrol d3
dev d3 put notes n3 '{"again":true}' >/dev/null
rc=0
dev d3 sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "a purged id: sync exits 7, got $rc: $(cat "$ERR")"
grep -q 'purged' "$ERR" || fail "sync names the reason: $(cat "$ERR")"
[ "$(hub_ids)" = "n1 n2 n4 " ] || fail "hub holds [$(hub_ids)] after d3's push"

CASE="purge on PostgreSQL"
dev d1 rm notes n1 >/dev/null || fail "rm n1"
sync_once d1
for d in d2 d3 d1 d2 d3; do dev "$d" sync --once >/dev/null 2>&1 || true; done
# d3 holds a refused record: its sync exits 7, but it pulls.
expect_hub_ok purge --older-than 0
grep -q '^purged 1, kept 0, horizon [1-9]' "$OUT" || fail "purge: $(cat "$OUT")"
h2=$(sed -n 's/.*horizon \([0-9]*\)$/\1/p' "$OUT")
[ "$h2" -gt "$horizon" ] || fail "the horizon must move: $h2"
[ "$(hub_ids)" = "n2 n4 " ] || fail "hub holds [$(hub_ids)] after the purge"
dev d2 put notes n1 '{"back":true}' >/dev/null
rc=0
dev d2 sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] && grep -q 'purged' "$ERR" || fail "n1 pushed late: exit $rc: $(cat "$ERR")"
[ "$(hub_ids)" = "n2 n4 " ] || fail "n1 came back: [$(hub_ids)]"
sync_once d1
stop_hub
echo "ok"
