#!/usr/bin/env bash
# A hub store put back from a copy (daemon/hub/DESIGN.md, "Restoring from
# a copy"): after `sambang-hub restored`, every device sees the store's new
# generation, pushes all it holds again and pulls from 0, so the writes the
# copy missed come back from the devices that made them: nothing is lost.
# Device b holds a write of a's made after the copy; pushed by b before a
# is back, the restored hub refuses it (another device's entry it never
# saw): b keeps it pending, not refused, until a has pushed it itself.
# The hub's old replica id is taken by no device; a device enrolled after
# the copy is unknown. A bad argument changes nothing. A copy put back
# without `restored` is caught by a device whose cursor is past its feed
# (409 cursor_ahead): it rebases all the same. A tombstone of a record the
# hub purged, pushed again, is no refusal. A hub lost with no copy at all,
# made anew, gets back what a re-enrolled device wrote. On PostgreSQL
# (sync_pg.restore) the copy is a pg_dump, put back with pg_restore.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol a
enrol b
dev a put notes n1 '{"text":"before the copy"}' >/dev/null || fail "put n1"
sync_once a
sync_once b
grep -q 'generation [0-9a-f]\{16\})' "$WORK/hub.log" ||
  fail "the hub's log must state its generation"
old_replica=$(sed -n 's/.*(replica \([0-9a-f]*\), generation.*/\1/p' \
  "$WORK/hub.log" | tail -n 1)
[ -n "$old_replica" ] || fail "the hub's log must state its replica id"

CASE="the copy"
copy_store "$WORK/copy"

CASE="after the copy"
dev a put notes n1 '{"text":"edited after the copy"}' >/dev/null || fail "edit n1"
dev a put notes n2 '{"text":"a, after the copy"}' >/dev/null || fail "put n2"
sync_once a
sync_once b # b now holds a's writes the copy lacks
dev b put notes n3 '{"text":"b, after the copy"}' >/dev/null || fail "put n3"
sync_once b
enrol c # enrolled after the copy: not in it
sync_once c

CASE="put back"
port=${URL##*:}
stop_hub
put_back "$WORK/copy"
sum=$(store_sum)
expect_hub_fail 2 restored --now
grep -q 'unexpected argument --now' "$ERR" || fail "name the bad argument"
[ "$(store_sum)" = "$sum" ] || fail "a refused restored wrote"
expect_hub_ok restored
grep -q "^replica: $old_replica -> [0-9a-f]\{16\}\$" "$OUT" ||
  fail "restored must print the old and new replica ids: $(cat "$OUT")"
grep -q '^generation: [0-9a-f]\{16\} -> [0-9a-f]\{16\}$' "$OUT" ||
  fail "restored must print the old and new generations: $(cat "$OUT")"
new_generation=$(sed -n 's/^generation: .* -> //p' "$OUT")
start_hub_at "$port"
grep -q "generation $new_generation" "$WORK/hub.log" ||
  fail "the hub must serve the new generation"

CASE="relayed first"
rc=0
dev b sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" -ne 0 ] || fail "b's sync must say that records are still pending"
grep -q "put back from a copy" "$ERR" ||
  fail "b must say why records stay pending: $(cat "$ERR")"
dev b status >"$OUT" || fail "status on b"
grep -q '^hub put back from a copy: sending every record again since ' "$OUT" ||
  fail "b's status must say it is sending everything again: $(cat "$OUT")"
dev b --json status >"$OUT" || fail "status --json on b"
grep -q '"rebase_since_ms":[0-9]' "$OUT" || fail "status --json: rebase_since_ms"
dev b conflicts >"$OUT" || fail "conflicts on b"
if grep -q 'n2' "$OUT"; then
  fail "n2 must stay pending on b, not refused"
fi
"$HUB" export >"$WORK/hub.export" || fail "export"
grep -q 'b, after the copy' "$WORK/hub.export" ||
  fail "b's own write after the copy must reach the restored hub"

CASE="the author pushes again"
sync_once a
sync_once b # b's waiting record goes through now; the rebase ends
sync_once a
expect_converged a b
for t in 'edited after the copy' 'a, after the copy' 'b, after the copy'; do
  grep -q "$t" "$WORK/hub.export" || fail "lost after the restore: $t"
done
sync_once b
grep -q 'pushed 0' "$OUT" || fail "b's rebase must be over: $(cat "$OUT")"
dev b --json status >"$OUT" || fail "status --json on b"
if grep -q '"rebase_since_ms"' "$OUT"; then fail "b's rebase must be over"; fi


CASE="the old replica id"
token=$("$HUB" device add d --scope all) || fail "device add d"
pull "$token" "$old_replica" "since=0"
expect_error 403 replica_mismatch
grep -q "was the hub.s own before a restore" "$WORK/hub.log" ||
  fail "the hub must log why the old replica id is refused"

CASE="enrolled after the copy"
if dev c sync --once >"$OUT" 2>"$ERR"; then
  fail "a device enrolled after the copy must be unknown to the hub"
fi

# sambangd, long-polling when the hub goes and comes back restored: its
# reconnection sees the new generation and it pushes everything again.
CASE="a daemon"
copy_store "$WORK/copy2"
printf 'backoff_min = 1\nbackoff_cap = 1\n' >"$WORK/a.conf"
start_daemon a --config "$WORK/a.conf"
dev a put notes n4 '{"text":"a, by its daemon"}' >/dev/null || fail "put n4"
hub_has() { "$HUB" export | grep -q "$1"; }
wait_until 20 hub_has 'a, by its daemon'
kill_hub
put_back "$WORK/copy2"
hub_has 'a, by its daemon' && fail "the second copy must lack n4"
expect_hub_ok restored
start_hub_at "$port"
wait_until 30 hub_has 'a, by its daemon'
stop_daemon a
grep -q 'put back from a copy' "$WORK/a.log" ||
  fail "the daemon must log the rebase"
sync_once b
expect_converged a b
# Two restores: neither old replica id may be taken.
token=$("$HUB" device add e --scope all) || fail "device add e"
pull "$token" "$old_replica" "since=0"
expect_error 403 replica_mismatch

# A copy put back without `sambang-hub restored`: a device whose cursor is
# past the store's newest change is refused (cursor_ahead, logged as an
# error naming the command) and rebases all the same.
CASE="restored forgotten"
copy_store "$WORK/copy3"
dev a put notes n5 '{"text":"a, after copy 3"}' >/dev/null || fail "put n5"
dev a put notes n6 '{"text":"a, after copy 3 too"}' >/dev/null || fail "put n6"
sync_once a
sync_once b
stop_hub
put_back "$WORK/copy3"
start_hub_at "$port"
sync_once a
grep -q 'put back from a copy; run `sambang-hub restored`' "$WORK/hub.log" ||
  fail "the hub must log the cursor past its feed"
"$HUB" export >"$WORK/hub.export" || fail "export"
grep -q 'a, after copy 3 too' "$WORK/hub.export" ||
  fail "a's writes after copy 3 must come back"
sync_once b
expect_converged a b

# A delete the hub purged before the copy: a's tombstone of it, pushed
# again by the rebase, is no refusal (the record stays gone).
CASE="purged tombstone"
dev a rm notes n4 >/dev/null || fail "rm n4"
for d in a b a b; do sync_once "$d"; done # the hub keeps their cursors
"$HUB" purge --older-than 0 >"$OUT" || fail "purge: $(cat "$OUT")"
grep -q '^purged 1,' "$OUT" || fail "n4's tombstone must be purged: $(cat "$OUT")"
copy_store "$WORK/copy4"
stop_hub
put_back "$WORK/copy4"
expect_hub_ok restored
start_hub_at "$port"
sync_once a
dev a conflicts >"$OUT" || fail "conflicts on a"
if grep -q 'n4' "$OUT"; then fail "a purged tombstone pushed again is refused"; fi
sync_once b
# The devices keep the tombstone they pulled before the purge (it holds
# no field); the live records are the hub's.
live() { grep -F '"deleted":false'; }
"$HUB" export | live >"$WORK/hub.live" || fail "export"
for d in a b; do
  dev "$d" export | live >"$WORK/$d.live" || fail "export on $d"
  cmp -s "$WORK/hub.live" "$WORK/$d.live" || fail "$d's live records differ"
done
"$HUB" export | grep -q '"id":"n4"' && fail "the purged record came back"

# A hub lost with no copy: made anew, its device enrolled again with a
# new token, which then gives it everything it holds of its own.
CASE="no copy at all"
stop_hub
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  pg_sql postgres "DROP DATABASE hub WITH (FORCE)" || fail "drop"
  pg_sql postgres "CREATE DATABASE hub" || fail "create"
else
  rm -f "$SAMBANG_HUB_DB" "$SAMBANG_HUB_DB-wal" "$SAMBANG_HUB_DB-shm"
fi
expect_hub_ok init
start_hub_at "$port"
"$HUB" device add a --scope all >"$WORK/a.tok" || fail "device add a"
dev a token set --file "$WORK/a.tok" >/dev/null || fail "token set on a"
rc=0
dev a sync --once >"$OUT" 2>"$ERR" || rc=$?
# b's write a holds waits for b (not enrolled again here): exit 7.
[ "$rc" = 7 ] || fail "a's sync to the new hub exited $rc: $(cat "$ERR")"
"$HUB" export >"$WORK/hub.export" || fail "export"
for t in 'edited after the copy' 'a, after the copy' \
  'a, after copy 3 too'; do
  grep -q "$t" "$WORK/hub.export" || fail "the new hub lacks a's write: $t"
done
echo ok
