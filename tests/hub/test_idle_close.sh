#!/usr/bin/env bash
# A client's idle keep-alive connection (a device keeps one beside its
# long-poll) is closed at the head deadline quietly: that is the
# keep-alive's end, not an attack, so the hub logs no warning for it. A
# connection that never sends a whole head (slowloris) is still cut at the
# same deadline and logged. /metrics counts both, by reason.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"

"$HUB" init >/dev/null
start_hub --head-timeout 1
port=${URL##*:}

# conn MODE: one connection to the hub; "idle" sends a whole request,
# reads its answer and then sends nothing; "partial" sends half a head.
# Prints how the connection ended: "closed" once the hub closes it (recv
# gives nothing), "open" if it is still open after 20 s.
conn() {
  python3 - "$port" "$1" <<'PYEOF'
import socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
if mode == "idle":
    s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got or not got.rstrip().endswith(b"}"):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("the hub closed before answering: %r" % got)
        got += chunk
    if not got.startswith(b"HTTP/1.1 200"):
        sys.exit("health answered %r" % got[:40])
else:
    s.sendall(b"GET /v1/hea")
try:
    while s.recv(4096):
        pass
    print("closed")
except socket.timeout:
    print("open")
PYEOF
}

CASE="an idle keep-alive connection"
[ "$(conn idle)" = closed ] || fail "the hub kept an idle connection past its deadline"
if grep -q 'closing a connection' "$WORK/hub.log"; then
  fail "an idle keep-alive connection was logged as a slow one: $(grep warning "$WORK/hub.log")"
fi

CASE="half a head"
[ "$(conn partial)" = closed ] || fail "the hub kept a half-sent head past its deadline"
# The hub logs (and flushes) the line before it shuts the socket down.
grep -q 'warning: http: closing a connection: no request head within the deadline' "$WORK/hub.log" ||
  fail "the cut of a half-sent head was not logged"

# /metrics counts each, by reason.
CASE="metrics"
req GET /metrics
expect_status 200
grep -qx 'sambang_hub_connections_closed_total{reason="idle"} 1' "$BODY" ||
  fail "the idle close is not counted: $(grep connections_closed "$BODY")"
grep -qx 'sambang_hub_connections_closed_total{reason="head"} 1' "$BODY" ||
  fail "the half-sent head's cut is not counted: $(grep connections_closed "$BODY")"
grep -qx 'sambang_hub_connections_closed_total{reason="body"} 0' "$BODY" ||
  fail "a body cut counted: $(grep connections_closed "$BODY")"
stop_hub
echo ok
