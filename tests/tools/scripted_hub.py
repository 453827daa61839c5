#!/usr/bin/env python3
"""scripted_hub.py - a stand-in hub that answers pushes in a set order.

usage: scripted_hub.py [--bad ID] [--ids FILE] [--echo] [--seq-from N]
                       [--lie short|other] [--compact] [--forms FILE]
                       STATUS...

For the sync tests that need answers a real hub gives only by chance:
two batches at the hub at once, answered in a known order.

Listens on a free 127.0.0.1 port and prints "listening on 127.0.0.1:PORT".
Holds every POST /v1/push until len(STATUS) of them are at it at once,
then answers them one at a time, each sent whole before the next: those
holding record ID (--bad) first, then the others in the order they
arrived; the k-th answered gets STATUS[k]. 401, 403 and 503 (with
Retry-After: 60) are refusals in the protocol's error envelope; 200 is the
usual answer, as every push after the held ones gets at once: a push
holding record ID is refused whole (400 malformed, naming its index in
"record", as a hub does a state it cannot read), any other is stored (one
ok result per record, at the next seq after N, --seq-from, default 0;
with --echo each says "echo": the state stored is the one pushed;
with --lie, a 200 that does not match the push: "short" leaves the last
record's result out, "other" answers for another record than the
first).
Record states: with --compact, every reply says the hub reads the compact
form (Sambang-Forms: compact); without it, the stand-in is a hub from
before that form, which refuses a push sent as the form's own media type
(415 unsupported_media_type). --forms FILE gets, per push, its
Content-Type and "compact" if a record in it is in the compact form
("at"), else "full".
GET /v1/changes answers an empty page at the asked cursor. --ids FILE
gets the id of every record pushed, one per line. Each request is logged
on stderr, with its query.
"""
import argparse
import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CODES = {401: "unauthorized", 403: "forbidden", 503: "unavailable"}
COMPACT_TYPE = "application/vnd.sambang.compact+json"


class Script:
    """The held pushes and the order they are answered in."""

    def __init__(self, statuses, bad, echo, seq_from, lie):
        self.statuses = statuses
        self.bad = bad
        self.echo = echo
        self.lie = lie
        self.cond = threading.Condition()
        self.held = []  # (holds the bad record, arrival number)
        self.answered = 0
        self.seq = seq_from
        self.lock = threading.Lock()

    def turn(self, has_bad):
        """Waits for this push's turn: (its status, whether it was held).
        Pushes past the held ones are answered at once, as 200."""
        with self.cond:
            mine = (not has_bad, len(self.held))
            if len(self.held) >= len(self.statuses):
                return 200, False
            self.held.append(mine)
            self.cond.notify_all()
            self.cond.wait_for(
                lambda: len(self.held) >= len(self.statuses)
                and sorted(self.held)[self.answered] == mine)
            return self.statuses[self.answered], True

    def done(self, held):
        if held:
            with self.cond:
                self.answered += 1
                self.cond.notify_all()

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("scripted_hub: " + (fmt % args) + "\n")

    def reply(self, status, doc, headers=()):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.server.compact:
            self.send_header("Sambang-Forms", "compact")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def refuse(self, status, code, message, record=None):
        err = {"code": code, "message": message}
        if record is not None:
            err["record"] = record
        self.reply(status, {"error": err},
                   [("Retry-After", "60")] if status == 503 else [])

    def stored(self, records):
        script = self.server.script
        bad = [i for i, r in enumerate(records) if r.get("id") == script.bad]
        if bad:
            self.refuse(400, "malformed",
                        "push request: records[%d]: scripted bad record"
                        % bad[0], bad[0])
            return
        results = [{"collection": r["collection"], "id": r["id"], "ok": True,
                    "seq": script.next_seq()} for r in records]
        if script.echo:
            for r in results:
                r["echo"] = True
        if script.lie == "short":
            results.pop()
        elif script.lie == "other":
            results[0]["id"] = "not-" + results[0]["id"]
        self.reply(200, {"last_seq": script.seq, "results": results})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if urlsplit(self.path).path != "/v1/push":
            self.refuse(404, "not_found", "no such path")
            return
        ctype = self.headers.get("Content-Type", "")
        if ctype == COMPACT_TYPE and not self.server.compact:
            self.refuse(415, "unsupported_media_type",
                        "Content-Type must be application/json")
            return
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        records = json.loads(body)["records"]
        if self.server.forms is not None:
            with self.server.script.lock:
                form = "compact" if any("at" in r for r in records) else "full"
                self.server.forms.write("%s %s\n" % (ctype, form))
                self.server.forms.flush()
        if self.server.ids is not None:
            with self.server.script.lock:
                self.server.ids.write("".join(r["id"] + "\n" for r in records))
                self.server.ids.flush()
        script = self.server.script
        status, held = script.turn(
            any(r.get("id") == script.bad for r in records))
        try:
            if status == 200:
                self.stored(records)
            else:
                self.refuse(status, CODES[status], "scripted refusal %d" % status)
        finally:
            script.done(held)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/v1/changes":
            self.refuse(404, "not_found", "no such path")
            return
        since = int(parse_qs(url.query).get("since", ["0"])[0])
        self.reply(200, {"changes": [], "more": False, "next": since})


def main():
    ap = argparse.ArgumentParser(description="a stand-in hub (tests)")
    ap.add_argument("--bad", help="a record id every push is refused for")
    ap.add_argument("--ids", help="a file to list every pushed record id in")
    ap.add_argument("--echo", action="store_true",
                    help="stored results say the state is the one pushed")
    ap.add_argument("--seq-from", type=int, default=0,
                    help="the seq the first stored record follows")
    ap.add_argument("--lie", choices=["short", "other"],
                    help="200 replies that do not match the push")
    ap.add_argument("--compact", action="store_true",
                    help="a hub that reads the compact form")
    ap.add_argument("--forms", help="a file to note each push's form in")
    ap.add_argument("statuses", nargs="+", type=int,
                    choices=[200, 401, 403, 503])
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.script = Script(args.statuses, args.bad, args.echo, args.seq_from,
                           args.lie)
    server.ids = open(args.ids, "a") if args.ids else None
    server.compact = args.compact
    server.forms = open(args.forms, "a") if args.forms else None
    print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
