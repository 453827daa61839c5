#!/usr/bin/env bash
# Issue 15 (CLI): sync counts mean what they say (the hub's echo of a
# device's own pushes is not "pulled"), and `status` without a daemon
# shows when the device last synced.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
for d in d1 d2 d3; do enrol "$d"; done

dev d3 status >"$OUT" || fail "status on d3"
grep -q '^last synced: never$' "$OUT" || fail "a new device: $(cat "$OUT")"
dev d3 status --json >"$OUT" || fail "status --json on d3"
grep -q '"last_sync_ms":null' "$OUT" || fail "--json never: $(cat "$OUT")"

notes_jsonl a 5 >"$WORK/a.jsonl"
dev d1 import "$WORK/a.jsonl" >/dev/null || fail "import on d1"
# First sync: its own 5 records come back in the feed, but are not pulled.
sync_once d1
grep -qx 'synced: pushed 5, pulled 0' "$OUT" || fail "d1 first sync: $(cat "$OUT")"
sync_once d2
grep -qx 'synced: pushed 0, pulled 5' "$OUT" || fail "d2 first sync: $(cat "$OUT")"
dev d2 sync --once --json >"$OUT" || fail "d2 second sync"
grep -q '"pulled":0,"pushed":0' "$OUT" || fail "d2 idle sync: $(cat "$OUT")"
# An edit of d2 goes to d1: pulled 1 there, and d2 does not count it back.
dev d2 put notes a-00001 '{"i":100}' >/dev/null || fail "put on d2"
sync_once d2
grep -qx 'synced: pushed 1, pulled 0' "$OUT" || fail "d2 push: $(cat "$OUT")"
sync_once d1
grep -qx 'synced: pushed 0, pulled 1' "$OUT" || fail "d1 pull: $(cat "$OUT")"

# status without a daemon: when it last synced, in local time.
before=$(date +%s)
dev d1 status >"$OUT" || fail "status on d1"
grep -q '^daemon: not running$' "$OUT" || fail "no daemon: $(cat "$OUT")"
line=$(grep '^last synced: ' "$OUT") || fail "no last synced line: $(cat "$OUT")"
day=$(date -d "@$before" '+%Y-%m-%d')
case "$line" in
"last synced: $day "*" ago)") ;;
*) fail "unexpected: $line" ;;
esac
dev d1 status --json >"$OUT" || fail "status --json on d1"
ms=$(grep -o '"last_sync_ms":[0-9]*' "$OUT" | cut -d: -f2)
[ -n "$ms" ] || fail "--json lacks last_sync_ms: $(cat "$OUT")"
[ $((ms / 1000)) -le "$before" ] && [ $((ms / 1000)) -ge $((before - 600)) ] ||
  fail "last_sync_ms $ms is not a few moments before $before"

# Through the daemon: the done line counts what moved since the request.
start_daemon d3
dev d3 sync >"$OUT" 2>"$ERR" || fail "sambang sync via the daemon: $(cat "$ERR")"
grep -q '^synced: pushed 0, pulled [0-9]*$' "$OUT" || fail "daemon sync: $(cat "$OUT")"
wait_until 20 converged d1 d2 d3
dev d3 sync --json >"$OUT" 2>"$ERR" || fail "second sync via the daemon"
grep -q '"pulled":0,"pushed":0' "$OUT" || fail "idle daemon sync: $(cat "$OUT")"
stop_daemon d3
echo "ok"
