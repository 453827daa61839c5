#!/usr/bin/env bash
# A device asks for the next changes page from the reply's headers
# (Sambang-Next, Sambang-More) before it decodes the page; the body is
# what counts. Through a proxy that falsifies those headers (next moved
# ahead by 1000; more always 1) a fresh device still pulls exactly every
# record in pages, drops each request asked ahead on a false hint, and
# ends where the hub is; its cursor never jumps past a change.
# When the hub fails a page asked ahead, every page received before it
# is merged first (nothing received is lost), then the failure is told.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || fail "python3 is needed"
N=700
expect_hub_ok init
start_hub
enrol src
notes_jsonl n "$N" >"$WORK/n.jsonl"
dev src import "$WORK/n.jsonl" >/dev/null || fail "import"
sync_once src

# lying_proxy MODE: an HTTP proxy to the hub on a free port; MODE next
# adds 1000 to Sambang-Next, MODE more always says Sambang-More: 1, MODE
# fail answers the third changes request 503 (the hub is not asked), MODE
# back sends every changes page back to cursor 0 ("next" and its header). Sets
# LIE_PID and LIE_URL; counts the changes requests it forwarded in
# $WORK/MODE.count.
lying_proxy() {
  local mode=$1
  python3 - "$mode" "${URL##*:}" "$WORK/$mode" <<'PY' 2>"$WORK/$mode.log" &
import http.client, http.server, json, os, sys
mode, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = 0
class Lie(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def forward(self):
        global count
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        if mode == "fail" and self.path.startswith("/v1/changes") and count == 2:
            count += 1
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        hub = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("host", "connection")}
        back = mode == "back" and self.path.startswith("/v1/changes")
        if back:  # plain JSON, so the page's "next" can be rewritten
            hdrs = {k: v for k, v in hdrs.items()
                    if k.lower() != "accept-encoding"}
        hub.request(self.command, self.path, body=body, headers=hdrs)
        rep = hub.getresponse()
        data = rep.read()
        if back and rep.status == 200:
            page = json.loads(data)
            page["next"] = 0
            data = json.dumps(page).encode()
        self.send_response(rep.status)
        for k, v in rep.getheaders():
            kl = k.lower()
            if kl in ("connection", "transfer-encoding", "content-length", "date"):
                continue
            if kl == "sambang-next" and mode == "next":
                v = str(int(v) + 1000)
            if kl == "sambang-more" and mode == "more":
                v = "1"
            if kl == "sambang-next" and back:
                v = "0"
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        hub.close()
        if self.path.startswith("/v1/changes"):
            count += 1
            with open(out + ".count.tmp", "w") as f:
                f.write(str(count))
            os.replace(out + ".count.tmp", out + ".count")
    do_GET = do_POST = forward
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Lie)
with open(out + ".port.tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(out + ".port.tmp", out + ".port")
srv.serve_forever()
PY
  LIE_PID=$!
  PROXY_PID=$LIE_PID # killed by the exit trap if a check fails first
  wait_until 10 test -s "$WORK/$mode.port"
  LIE_URL=http://127.0.0.1:$(cat "$WORK/$mode.port")
}

printf 'page = 200\n' >"$WORK/pages.conf"
for mode in next more; do
  lying_proxy $mode
  enrol "f$mode"
  dev "f$mode" sync --once --server "$LIE_URL" --config "$WORK/pages.conf" \
    >"$OUT" 2>"$ERR" || fail "[$mode] the pull through the proxy failed: $(cat "$ERR")"
  kill -KILL "$LIE_PID" 2>/dev/null || true; echo "[$mode] $(cat "$WORK/$mode.count") changes requests" >&2
  wait "$LIE_PID" 2>/dev/null || true
  [ "$(dev "f$mode" export | wc -l)" = "$N" ] ||
    fail "[$mode] holds $(dev "f$mode" export | wc -l) of the $N records"
  # 700 in pages of 200: 4 pages, each hint false, so more requests went
  # out than pages (the dropped ones) yet the pull completed.
  reqs=$(cat "$WORK/$mode.count" 2>/dev/null || echo 0)
  [ "$reqs" -ge 4 ] || fail "[$mode] only $reqs changes requests"
done

# Pages of 200: the first two are received (each asks the next on its
# headers), the third request fails. Both pages are merged, then the
# sync fails naming the 503; the next sync brings the rest.
lying_proxy fail
enrol ffail
if dev ffail sync --once --server "$LIE_URL" --config "$WORK/pages.conf" \
  >"$OUT" 2>"$ERR"; then
  fail "[fail] the sync through a failing proxy succeeded"
fi
kill -KILL "$LIE_PID" 2>/dev/null || true
wait "$LIE_PID" 2>/dev/null || true
grep -q 503 "$ERR" || fail "[fail] the error does not name the 503: $(cat "$ERR")"
got=$(dev ffail export | wc -l)
[ "$got" = 400 ] || fail "[fail] holds $got records, not the 400 of the two pages received"
sync_once ffail

# A page that would move the cursor back is refused as a protocol error:
# nothing of it is merged and the cursor stays where it was (a device
# that went back would pull and merge everything again, or loop).
dev src put notes late '{"x":1}' >/dev/null || fail "put late"
sync_once src
cursor() { sqlite3 "$WORK/$1.db" "SELECT value FROM meta WHERE key = 'pull_cursor'"; }
before=$(cursor ffail)
[ "$before" -gt 0 ] || fail "[back] no cursor to keep: '$before'"
lying_proxy back
if dev ffail sync --once --server "$LIE_URL" >"$OUT" 2>"$ERR"; then
  fail "[back] a page moving the cursor back was accepted"
fi
kill -KILL "$LIE_PID" 2>/dev/null || true
wait "$LIE_PID" 2>/dev/null || true
grep -q "moves the cursor back" "$ERR" ||
  fail "[back] the error does not say why: $(cat "$ERR")"
[ "$(cursor ffail)" = "$before" ] ||
  fail "[back] the cursor moved from $before to $(cursor ffail)"
[ "$(dev ffail export | wc -l)" = "$N" ] ||
  fail "[back] the refused page was merged"
for d in ffail fnext fmore; do sync_once $d; done
expect_converged src fnext fmore ffail
echo "ok (false page hints dropped, $N records pulled twice; a failed page after two merged; a page going back refused)"
