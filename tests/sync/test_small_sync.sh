#!/usr/bin/env bash
# Issue 14: small syncs are cheap. A sync with nothing to do costs one
# request (one changes page that says nothing is new: no push, no other
# request); 100 edits cost one push and one changes request, and nothing
# comes back (no echo). Counted by the hub's /metrics.
. "$(dirname "$0")/lib.sh"

requests() { # the hub's requests so far, every route but /metrics
  curl -sS --max-time 10 "$URL/metrics" |
    awk '$1 ~ /^sambang_hub_requests_total[{]/ && $1 !~ /route="metrics"/ {
      n += $2 } END { print n + 0 }'
}
route() { metric "sambang_hub_requests_total{route=\"$1\",status=\"200\"}"; }
at_least() { [ "$(($(requests) - MARK))" -ge "$1" ]; }
# expect_requests N WHAT: exactly N requests since the mark. The sync has
# exited, so all it sent has arrived; the hub counts a request as its
# reply goes out, so wait for N first, then nothing more may be there.
expect_requests() {
  local now
  wait_until 10 at_least "$1"
  now=$(requests)
  [ "$((now - MARK))" -eq "$1" ] || fail "$2: $((now - MARK)) requests, expected $1"
}

expect_hub_ok init
start_hub
enrol d1
enrol d2
notes_jsonl a 200 >"$WORK/a.jsonl"
dev d1 import "$WORK/a.jsonl" >/dev/null || fail "import on d1"
sync_once d1
sync_once d2

# A no-op sync: exactly one request, a changes page.
MARK=$(requests)
changes0=$(route changes)
sync_once d1
grep -qx 'synced: pushed 0, pulled 0' "$OUT" || fail "no-op: $(cat "$OUT")"
expect_requests 1 "a no-op sync"
[ "$(route changes)" -eq "$((changes0 + 1))" ] || fail "the one request is not a changes page"
# Again (a second no-op in a row skips the store's quick check): still one.
MARK=$(requests)
sync_once d1
expect_requests 1 "a second no-op sync"

# 100 edits: one push, one changes page, nothing pulled back.
for i in $(seq 0 99); do
  printf '{"collection":"notes","id":"a-%05d","fields":{"i":%d,"e":1}}\n' "$i" "$i"
done >"$WORK/e.jsonl"
dev d1 import "$WORK/e.jsonl" >/dev/null || fail "edits on d1"
MARK=$(requests)
served0=$(metric sambang_hub_records_served_total)
sync_once d1
grep -qx 'synced: pushed 100, pulled 0' "$OUT" || fail "100 edits: $(cat "$OUT")"
expect_requests 2 "a 100-edit push and pull"
[ "$(metric sambang_hub_records_served_total)" -eq "$served0" ] ||
  fail "the hub sent d1's own edits back"
MARK=$(requests)
sync_once d2
grep -qx 'synced: pushed 0, pulled 100' "$OUT" || fail "d2 pull: $(cat "$OUT")"
expect_requests 1 "d2's pull of 100 edits"
expect_converged d1 d2
echo "ok"
