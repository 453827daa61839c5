#!/usr/bin/env bash
# `sambang recover` on a device whose store was damaged after it made
# writes it had not pushed yet: the rebuilt store (same replica id, hub and
# token) holds every record of the hub plus the unpushed writes that were
# readable, the damaged file is kept beside it, and the device syncs on.
# The device was set up with --token-file: the token is in STORE.token
# (0600) only, never in the store's files, and sync works with it.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol d2
token=$("$HUB" device add d1 --scope all) || fail "device add d1 failed"
printf '%s\n' "$token" >"$WORK/d1.tok"
dev d1 init --server "$URL" --token-file "$WORK/d1.tok" >/dev/null ||
  fail "init of d1 failed"
rm "$WORK/d1.tok"
[ "$(stat -c %a "$WORK/d1.db.token")" = 600 ] || fail "token file not 0600"

notes_jsonl a 300 >"$WORK/a.jsonl"
dev d1 import "$WORK/a.jsonl" >/dev/null || fail "import on d1 failed"
notes_jsonl b 40 >"$WORK/b.jsonl"
dev d2 import "$WORK/b.jsonl" >/dev/null || fail "import on d2 failed"
sync_once d1
sync_once d2
sync_once d1
expect_converged d1 d2
for f in "$WORK/d1.db" "$WORK/d1.db-wal" "$WORK/d1.db-shm"; do
  [ ! -e "$f" ] || ! grep -q -a -- "$token" "$f" || fail "the token is in $f"
done

# Unpushed writes: new records and an edit of one the hub has.
for i in 1 2 3 4 5; do
  dev d1 put notes "u$i" "{\"local\":$i}" >/dev/null || fail "put u$i failed"
done
dev d1 put notes a-00007 '{"edited":true}' >/dev/null || fail "edit failed"
dev d1 export | grep -E '"(u[1-5]|a-00007)"' | sort >"$WORK/unpushed"
[ "$(wc -l <"$WORK/unpushed")" -eq 6 ] || fail "setup: 6 unpushed records"
replica=$(replica_of d1)
[ -n "$replica" ] || fail "no replica id in status"

# Garbage over two pages in the middle of the file (old, pushed rows).
size=$(stat -c %s "$WORK/d1.db")
head -c 8192 /dev/urandom >"$WORK/garbage"
dd if="$WORK/garbage" of="$WORK/d1.db" bs=4096 seek=$((size / 8192)) \
  conv=notrunc status=none
damaged=$(sha256sum <"$WORK/d1.db")
dev d1 put notes z '{"x":1}' >"$OUT" 2>"$ERR" && fail "a write to the damaged store was taken"
grep -q "sambang recover" "$ERR" || fail "the refusal does not name recover"

# A recover cut short (killed, power lost) left its scratch store's WAL.
printf 'junk' >"$WORK/d1.db.recovering-wal"
dev d1 recover >"$OUT" 2>"$ERR" || fail "recover failed"
grep -q "^recovered .*kept 6 unpushed" "$OUT" || fail "recover does not report the 6 unpushed records"
grep -q "^synced: pushed 6, pulled" "$OUT" || fail "recover did not sync"
grep -q "^note: .*damaged-.* personal values included.*delete it" "$ERR" ||
  fail "recover does not say the damaged copy holds personal values: $(cat "$ERR")"
ls "$WORK"/d1.db.damaged-* >/dev/null 2>&1 || fail "the damaged store was not kept"
[ "$(sha256sum <"$(ls "$WORK"/d1.db.damaged-* | grep -v -- '-wal$' | grep -v 'corrupt$' | head -n 1)")" = "$damaged" ] ||
  fail "the kept damaged store is not the damaged file"
[ ! -e "$WORK/d1.db.recovering-wal" ] || fail "the scratch WAL is still there"
# A second recover (in the same second or not) keeps the first copy.
first=$(ls "$WORK"/d1.db.damaged-* | grep -v -- '-wal$' | grep -v 'corrupt$' | head -n 1)
dev d1 recover >"$OUT" 2>"$ERR" || fail "a second recover failed: $(cat "$ERR")"
[ "$(sha256sum <"$first")" = "$damaged" ] || fail "a second recover replaced the first damaged copy"
[ "$(ls "$WORK"/d1.db.damaged-* | grep -v -- '-wal$' | grep -vc 'corrupt$')" -eq 2 ] ||
  fail "two recovers keep two copies: $(ls "$WORK")"
[ ! -e "$WORK/d1.db.corrupt" ] || fail "the rebuilt store is marked corrupt"
dev d1 check >/dev/null || fail "the rebuilt store does not check ok"
dev d1 --json status >"$OUT" || fail "status failed"
grep -q "\"replica\":\"$replica\"" "$OUT" || fail "the replica id changed"

# Every record of the hub, plus the unpushed writes, on both sides.
sync_once d2
expect_converged d1 d2
[ "$(wc -l <"$WORK/hub.export")" -eq 345 ] || fail "expected 345 records"
for k in u1 u2 u3 u4 u5; do
  grep -q "\"id\":\"$k\"" "$WORK/hub.export" || fail "unpushed $k lost"
done
grep '"id":"a-00007"' "$WORK/hub.export" | grep -q '"edited"' ||
  fail "the unpushed edit of a-00007 was lost"

# The device goes on: writes and syncs.
dev d1 put notes after '{"x":1}' >/dev/null || fail "put after recover failed"
sync_once d1
sync_once d2
expect_converged d1 d2
grep -q '"id":"after"' "$WORK/hub.export" || fail "a write after recover did not sync"

# A store that cannot sync (no hub set, or no token) is refused before
# anything moves: no damaged copy, the store as it was.
dev lone init >/dev/null || fail "init of lone failed"
dev lone put notes l1 '{"x":1}' >/dev/null || fail "put on lone failed"
before=$(dev lone export)
rc=0
dev lone recover >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" -eq 4 ] || fail "recover without a hub: exit $rc, not 4"
grep -q 'recover rebuilds the store from the hub: no hub server is set' "$ERR" ||
  fail "recover without a hub: $(cat "$ERR")"
! ls "$WORK"/lone.db.damaged-* >/dev/null 2>&1 || fail "a refused recover set the store aside"
[ "$(dev lone export)" = "$before" ] || fail "a refused recover changed the store"
dev lone2 init --server "$URL" >/dev/null || fail "init of lone2 failed"
rc=0
dev lone2 recover >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" -eq 4 ] && grep -q 'no device token is set' "$ERR" ||
  fail "recover without a token: exit $rc, $(cat "$ERR")"
! ls "$WORK"/lone2.db.damaged-* >/dev/null 2>&1 || fail "a refused recover set lone2 aside"

echo "ok"
