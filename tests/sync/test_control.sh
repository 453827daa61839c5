#!/usr/bin/env bash
# sambangd's control socket with raw requests (daemon/sambangd/CONTROL.md): status,
# notify, sync's progress and done lines, bad requests answered with a
# clear error (the connection and the daemon carry on), an over-long line
# closing the connection, and stop.
. "$(dirname "$0")/lib.sh"
: "${CTLSEND:?set CTLSEND to the ctlsend binary}"

expect_hub_ok init
start_hub
enrol d1
start_daemon d1
sock=$WORK/d1.db.sock
ctl() { "$CTLSEND" "$sock" "$@" >"$OUT" 2>"$ERR" || fail "ctlsend $* failed"; }

ctl 1 '{"cmd":"status"}'
grep -q '^{"ok":true,"status":{"phase":"' "$OUT" || fail "status: $(cat "$OUT")"
for key in online pending rejected conflicts last_success_ms next_retry_ms \
  last_error cycle_pushed cycle_pulled; do
  grep -q "\"$key\":" "$OUT" || fail "status lacks $key"
done

# Bad requests: each gets an error line; the same connection goes on.
ctl 4 'not json' '{"cmd":"dance"}' '[1,2]' '{"cmd":"status"}'
sed -n 1p "$OUT" | grep -q '^{"ok":false,"error":"a request is one line of JSON' ||
  fail "bad JSON: $(cat "$OUT")"
sed -n 2p "$OUT" | grep -q '"error":"unknown cmd \\"dance\\""' ||
  fail "unknown cmd: $(cat "$OUT")"
sed -n 3p "$OUT" | grep -q '"ok":false' || fail "array request accepted"
sed -n 4p "$OUT" | grep -q '"ok":true' || fail "the connection broke"
# A long unknown name is not echoed (a cut could split a character).
long=$(printf 'x%.0s' {1..100})
ctl 1 "{\"cmd\":\"$long\"}"
grep -q '^{"ok":false,"error":"unknown cmd (100 bytes)"}$' "$OUT" ||
  fail "a long unknown cmd: $(cat "$OUT")"

# Duplicate keys and invalid UTF-8 are refused, and the error line echoes
# none of the bad bytes.
ctl 3 '{"cmd":"status","cmd":"stop"}' $'{"cmd":"\xff\xfe"}' '{"cmd":"status"}'
sed -n 1p "$OUT" | grep -q '"ok":false.*duplicate key' ||
  fail "duplicate keys accepted: $(cat "$OUT")"
sed -n 2p "$OUT" | grep -q '"ok":false.*not valid UTF-8' ||
  fail "invalid UTF-8 accepted: $(cat "$OUT")"
iconv -f UTF-8 -t UTF-8 "$OUT" >/dev/null 2>&1 ||
  fail "an error line is not valid UTF-8: $(od -c "$OUT" | head)"
sed -n 3p "$OUT" | grep -q '"ok":true' || fail "the connection broke"
kill -0 "${DPID[d1]}" || fail "a duplicate-key stop stopped the daemon"

# An over-long line: an error, then the connection is closed.
rc=0
"$CTLSEND" "$sock" 5 @big >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" -eq 3 ] || fail "a 70 KB line did not close the connection ($rc)"
grep -q 'over 64 KiB' "$OUT" || fail "no error for the long line"

# notify, and sync with its done line.
dev d1 put notes n1 '{"x":1}' >/dev/null
ctl 1 '{"cmd":"notify"}'
grep -q '^{"ok":true}$' "$OUT" || fail "notify: $(cat "$OUT")"
ctl 'until:"event":"done"' '{"cmd":"sync"}'
grep -q '"event":"done","ok":true' "$OUT" || fail "sync: $(cat "$OUT")"
"$HUB" export | grep -q '"n1"' || fail "n1 did not reach the hub"

# Still alive after all that; then stop over the socket: exit 0.
kill -0 "${DPID[d1]}" || fail "the daemon died"
ctl 1 '{"cmd":"stop"}'
grep -q '^{"ok":true}$' "$OUT" || fail "stop: $(cat "$OUT")"
rc=0
wait "${DPID[d1]}" || rc=$?
unset "DPID[d1]"
[ "$rc" -eq 0 ] || fail "sambangd exited $rc after stop"
[ ! -e "$sock" ] || fail "the socket was left behind"
stop_hub
echo ok
