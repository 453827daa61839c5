#!/usr/bin/env bash
# Sync progress (issue 15): on a terminal, `sambang sync` shows records
# pushed of those due with a percentage, the share of the hub's feed read,
# the rate and the time left; off a terminal, a quiet line every
# --progress-every seconds (none for a short sync by default); a bad
# --progress-every is refused and changes nothing. The feed names its end
# ("last", proto/PROTOCOL.md) for the percentage.
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || fail "needs script(1) (util-linux) for a terminal"

expect_hub_ok init
start_hub
enrol a
enrol b
notes_jsonl n 3000 >"$WORK/notes.jsonl"
dev a import "$WORK/notes.jsonl" >/dev/null || fail "import"

# Bad input: refused, nothing pushed.
for bad in -1 abc 1e9 ''; do
  rc=0
  dev a sync --once --progress-every "$bad" >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" = 2 ] || fail "--progress-every '$bad': exit 2, got $rc"
  grep -q -- '--progress-every takes seconds' "$ERR" || fail "error names the option: $(cat "$ERR")"
done
dev a status >"$OUT"
grep -q 'unsynced changes: 3000' "$OUT" || fail "a refused sync pushed: $(cat "$OUT")"

# A terminal (script(1) gives the sync a pty): the line is redrawn with
# \r and ends at the whole push.
SAMBANG_DB=$WORK/a.db script -qec "$SAMBANG sync --once" /dev/null >"$WORK/tty.out" ||
  fail "sync on a terminal failed: $(cat "$WORK/tty.out")"
tr '\r' '\n' <"$WORK/tty.out" >"$WORK/tty.lines"
grep -q 'pushed 3000 of 3000 (100%)' "$WORK/tty.lines" ||
  fail "no push total on the terminal: $(cat "$WORK/tty.lines")"
grep -q 'synced: pushed 3000, pulled 0' "$WORK/tty.lines" || fail "the last line"

# The feed's end rides on every page.
r=$(replica_of b)
pull "$(cat "$WORK/b.tok")" "$r" 'since=0&limit=10'
expect_status 200
grep -q '"last":3000,"more":true' "$BODY" || fail "the page names the feed's end: $(head -c 300 "$BODY")"

# Off a terminal: --progress-every 0 writes nothing; a short interval
# writes lines of the pull's share of the feed.
cp "$WORK/b.db" "$WORK/b0.db"
dev b sync --once --progress-every 0 >"$OUT" 2>"$ERR" || fail "sync: $(cat "$ERR")"
[ ! -s "$ERR" ] || fail "--progress-every 0 wrote: $(cat "$ERR")"
grep -q 'synced: pushed 0, pulled 3000' "$OUT" || fail "b's pull: $(cat "$OUT")"
SAMBANG_DB=$WORK/b0.db "$SAMBANG" sync --once --progress-every 0.001 >"$OUT" 2>"$ERR" ||
  fail "sync: $(cat "$ERR")"
grep -q '^sambang: sync: pushed 0, pulled [0-9]* ([0-9]*% of the feed)' "$ERR" ||
  fail "no progress lines: $(cat "$ERR")"
grep -vq '^sambang: sync: ' "$ERR" && fail "other lines on stderr: $(cat "$ERR")"

# In Indonesian (the catalogue from the build: SAMBANG_LOCALEDIR).
enrol c
LANG=id_ID.UTF-8 LANGUAGE=id SAMBANG_DB=$WORK/c.db script -qec \
  "$SAMBANG sync --once" /dev/null >"$WORK/tty.id" || fail "sync (id)"
tr '\r' '\n' <"$WORK/tty.id" | grep -q 'diterima 3000 (100% dari umpan)' ||
  fail "no Indonesian progress: $(tr '\r' '\n' <"$WORK/tty.id")"

# A pull that starts again from 0 moves the progress's base with it: a
# device of scope Setu, at the feed's end, grown to `all`, pulls the feed
# from 0 in its next cycle, whose base is then 0, not the old cursor
# (else the share of the feed read would be nonsense).
CASE="the base of a pull from 0"
enrol s Setu
ben a ben-setu Setu
ben a ben-pamulang Pamulang
sync_once a
start_daemon s
"$CTLSEND" "$WORK/s.db.sock" until:'"event":"done"' '{"cmd":"sync"}' >"$OUT" ||
  fail "sync through the daemon"
grep -q '"event":"done".*"feed_base":300[0-9]' "$OUT" ||
  fail "the first cycle's base is its cursor: $(cat "$OUT")"
"$HUB" device scope s --set all >/dev/null || fail "scope to all"
"$CTLSEND" "$WORK/s.db.sock" until:'"event":"done"' '{"cmd":"sync"}' >"$OUT" ||
  fail "sync through the daemon"
grep -q '"event":"done".*"feed_base":0,' "$OUT" ||
  fail "a pull from 0 kept the old base: $(cat "$OUT")"
dev s get beneficiary ben-pamulang >/dev/null ||
  fail "s did not pull what its scope gained"
stop_daemon s
echo "ok"
