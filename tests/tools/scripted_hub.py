#!/usr/bin/env python3
"""scripted_hub.py - a stand-in hub that refuses pushes in a set order.

usage: scripted_hub.py STATUS...

Listens on a free 127.0.0.1 port and prints "listening on 127.0.0.1:PORT".
Holds every POST /v1/push until len(STATUS) of them are at it at once,
then answers them in the order they arrived, the i-th with STATUS[i]
(503 with Retry-After: 60, or 401/403) in the protocol's error envelope,
each answer sent whole before the next. Any later request is answered
503. Each request is logged on stderr. For the sync tests that need
replies a real hub gives only by chance (two refusals of batches in flight
at once, in a known order).
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CODES = {401: "unauthorized", 403: "forbidden", 503: "unavailable"}


class Script:
    def __init__(self, statuses):
        self.statuses = statuses
        self.cond = threading.Condition()
        self.arrived = 0
        self.answered = 0

    def turn(self):
        """Waits for this push's turn; returns its status."""
        with self.cond:
            mine = self.arrived
            self.arrived += 1
            self.cond.notify_all()
            if mine >= len(self.statuses):
                return 503
            self.cond.wait_for(lambda: self.arrived >= len(self.statuses)
                               and self.answered == mine)
            return self.statuses[mine]

    def done(self):
        with self.cond:
            self.answered += 1
            self.cond.notify_all()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("scripted_hub: " + (fmt % args) + "\n")

    def answer(self, status):
        body = json.dumps({"error": {
            "code": CODES.get(status, "unavailable"),
            "message": "scripted refusal %d" % status}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 503:
            self.send_header("Retry-After", "60")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.split("?")[0] != "/v1/push":
            self.answer(503)
            return
        status = self.server.script.turn()
        try:
            self.answer(status)
        finally:
            self.server.script.done()

    def do_GET(self):
        self.answer(503)


def main():
    try:
        statuses = [int(a) for a in sys.argv[1:]]
    except ValueError:
        statuses = []
    if not statuses or any(s not in CODES for s in statuses):
        sys.stderr.write("usage: scripted_hub.py STATUS... (401, 403, 503)\n")
        return 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.script = Script(statuses)
    print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
