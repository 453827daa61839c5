#!/usr/bin/env bash
# A hub whose push reply does not match the push (a result missing, or a
# result for another record) is not believed: `sync --once` fails naming
# the mismatch and every record stays unsynced, to be pushed again:
# nothing is marked as at the hub that the hub did not say it holds. A
# stand-in hub (tests/tools/scripted_hub.py --lie) gives the replies.
. "$(dirname "$0")/lib.sh"

unsynced() { dev d1 status | sed -n 's/^unsynced changes: //p'; }

# lie KIND MESSAGE: one sync --once against a stand-in lying so.
lie() {
  local rc=0
  CASE="a push reply that lies ($1)"
  start_scripted --lie "$1" 200
  printf 'server = %s\nbatch = 500\n' "$SCRIPTED_URL" >"$WORK/lie.conf"
  dev d1 sync --once --config "$WORK/lie.conf" >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" -eq 1 ] || fail "sync --once exited $rc, expected 1: $(cat "$ERR")"
  grep -q "$2" "$ERR" || fail "the error does not name the mismatch: $(cat "$ERR")"
  [ "$(unsynced)" = 1000 ] || fail "unsynced: $(unsynced), expected 1000"
}

scripted_d1 200
lie short 'push reply has 499 results for 500 records'
lie other 'push reply result 0 is for notes/not-'
echo "ok: a push reply that does not match is not believed"
