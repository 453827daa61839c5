#!/usr/bin/env bash
# A push's results say which records the hub stored exactly as pushed
# ("echo"). When such feed numbers run on from the device's cursor, the
# device moves its cursor over them before it pulls: they hold nothing it
# lacks, and the hub need not walk them. A number it was not told of (a
# gap: another device's change) stops the run, so nothing is passed over
# unseen. Against a stand-in hub (tests/tools/scripted_hub.py) that logs
# each pull's cursor.
. "$(dirname "$0")/lib.sh"

# pulled_from N: the device's pull after its push asked from cursor N.
pulled_from() {
  grep -q "GET /v1/changes?since=$1&" "$WORK/scripted.log" ||
    fail "no pull from $1: $(grep 'GET ' "$WORK/scripted.log")"
}
# cursor: d1's saved pull cursor (none saved: 0).
cursor() {
  local c
  c=$(sqlite3 "$WORK/d1.db" "SELECT value FROM meta WHERE key = 'pull_cursor'")
  echo "${c:-0}"
}

# 1. Seqs 1..1000, each an echo: the pull starts at 1000.
scripted_d1 --echo 200 200
dev d1 sync --once --config "$WORK/once.conf" >"$OUT" 2>"$ERR" ||
  fail "sync --once failed: $(cat "$ERR")"
pulled_from 1000
[ "$(cursor)" = 1000 ] || fail "cursor $(cursor), expected 1000"

# 2. The same pushes after a change the device was not told of (seq 1):
# seqs 2..1001 do not run on from cursor 0, so it pulls from 0.
rm -f "$WORK"/d1.db* "$WORK/scripted.log" "$WORK/hub.db"*
scripted_d1 --echo --seq-from 1 200 200
dev d1 sync --once --config "$WORK/once.conf" >"$OUT" 2>"$ERR" ||
  fail "sync --once failed: $(cat "$ERR")"
pulled_from 0
[ "$(cursor)" = 0 ] || fail "cursor $(cursor), expected 0"

# 3. Without "echo" (an older hub, or merges the device lacks): no move.
rm -f "$WORK"/d1.db* "$WORK/scripted.log" "$WORK/hub.db"*
scripted_d1 200 200
dev d1 sync --once --config "$WORK/once.conf" >"$OUT" 2>"$ERR" ||
  fail "sync --once failed: $(cat "$ERR")"
pulled_from 0
echo "ok: the cursor passes over the device's own echoes, and only those"
