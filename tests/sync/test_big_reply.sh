#!/usr/bin/env bash
# A reply over what a device accepts (17 MiB after gunzip; the hub never
# sends one, a broken proxy or impostor may) is dropped: the sync fails
# with exit 1 saying the reply was too large (the hub was reached: not
# "unreachable"), and nothing of it is stored. The "hub" here is a small
# Python server on 127.0.0.1 answering every request with 18 MiB.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 is needed"
expect_hub_ok init
start_hub
enrol d1
dev d1 put notes n1 '{"text":"kept"}' >/dev/null || fail "put n1"
sync_once d1
dev d1 export >"$WORK/before.jsonl" || fail "export before"

python3 - "$WORK/big.port" <<'PY' 2>"$WORK/big.log" &
import http.server, sys
class Big(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        body = b" " * (18 << 20)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
    do_GET = do_POST = answer
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), Big)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
BIG_PID=$!
trap 'kill -KILL $BIG_PID 2>/dev/null || true; sync_cleanup' EXIT
wait_until 10 test -s "$WORK/big.port"
BIG_URL=http://127.0.0.1:$(cat "$WORK/big.port")

rc=0
dev d1 sync --once --server "$BIG_URL" >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 1 ] || fail "a too-large reply: sync --once exited $rc, not 1"
grep -q "larger than a device accepts" "$ERR" ||
  fail "the error does not say the reply was too large: $(cat "$ERR")"
! grep -q "unreachable" "$ERR" || fail "a reached hub called unreachable: $(cat "$ERR")"
dev d1 export >"$WORK/after.jsonl" || fail "export after"
cmp -s "$WORK/before.jsonl" "$WORK/after.jsonl" || fail "the store changed"

# The real hub still syncs the device.
dev d1 put notes n2 '{"text":"after"}' >/dev/null || fail "put n2"
sync_once d1
expect_converged d1
echo "ok (an 18 MiB reply refused, nothing stored)"
