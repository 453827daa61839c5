#!/usr/bin/env bash
# Two push batches are at the hub when it refuses both: the first answer
# says "busy, retry in 60 s" (503), the second "this device's token is
# refused" (401). The refusal of the credentials wins, whichever comes
# first: `sync --once` names it, and sambangd halts (the user must
# re-enrol) instead of backing off to try again in a minute. A stand-in hub
# (tests/tools/scripted_hub.py) holds both batches until both are there,
# then answers 503 and, once that answer is sent, 401. Nothing is lost.
. "$(dirname "$0")/lib.sh"

pushes() { grep -c 'POST /v1/push' "$WORK/scripted.log" || true; }
unsynced() { dev d1 status | sed -n 's/^unsynced changes: //p'; }

scripted_d1 503 401

# sync --once: two batches of 500 at the stand-in at once.
rc=0
dev d1 sync --once --config "$WORK/once.conf" >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" -eq 1 ] || fail "sync --once exited $rc, expected 1"
[ "$(pushes)" -eq 2 ] || fail "expected 2 pushes at once, got $(pushes)"
grep -q '401 unauthorized' "$ERR" ||
  fail "sync --once does not name the refused token: $(cat "$ERR")"
[ "$(unsynced)" = 1000 ] || fail "unsynced: $(unsynced), expected 1000"

# sambangd: halted at once, not backing off for the 503's minute.
: >"$WORK/scripted.log"
start_scripted 503 401
printf 'server = %s\nbatch = 500\n' "$SCRIPTED_URL" >"$WORK/d.conf"
start_daemon d1 --config "$WORK/d.conf"
halted() { dev d1 status | grep -q 'halted'; }
wait_until 20 halted
[ "$(pushes)" -eq 2 ] || fail "expected 2 pushes, got $(pushes)"
dev d1 status >"$OUT"
grep -q '401 unauthorized' "$OUT" ||
  fail "status does not name the refused token: $(cat "$OUT")"
[ "$(unsynced)" = 1000 ] || fail "unsynced: $(unsynced), expected 1000"
stop_daemon d1
echo "ok: a refused token halts even behind a busy answer"
