#!/usr/bin/env bash
# GET /metrics: Prometheus text with requests by route and status, records
# merged, refused and conflicted, open long-polls, a latency histogram.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok1=$("$HUB" device add one --scope all)
tok2=$("$HUB" device add two --scope all)
r1=$(dev_init d1)
r2=$(dev_init d2)
dev d1 put notes a '{"t":"one"}' >/dev/null
dev d1 put notes b '{"t":"one"}' >/dev/null
dev d2 put notes a '{"t":"two"}' >/dev/null
batch_of d1 >"$WORK/b1.json"
batch_of d2 >"$WORK/b2.json"
start_hub

req GET /metrics
expect_status 200
expect_header 'Content-Type: text/plain; version=0.0.4'
expect_body_contains '# TYPE sambang_hub_requests_total counter'
expect_body_contains '# TYPE sambang_hub_request_duration_seconds histogram'
expect_body_contains 'sambang_hub_longpolls_open 0'

push "$tok1" "$r1" "$WORK/b1.json"
push "$tok1" "$r1" "$WORK/b1.json"
push "$tok2" "$r2" "$WORK/b2.json"
req GET /v1/nothing
pull "$tok1" "$r1" 'since=0'
req GET /v1/changes

[ "$(metric 'sambang_hub_requests_total{route="push",status="200"}')" = 3 ] ||
  fail "3 pushes"
[ "$(metric 'sambang_hub_requests_total{route="other",status="404"}')" = 1 ] ||
  fail "one 404"
[ "$(metric 'sambang_hub_requests_total{route="changes",status="200"}')" = 1 ] ||
  fail "one pull"
[ "$(metric 'sambang_hub_requests_total{route="changes",status="401"}')" = 1 ] ||
  fail "one 401"
[ "$(metric sambang_hub_records_merged_total)" = 3 ] || fail "3 merged"
[ "$(metric sambang_hub_records_unchanged_total)" = 2 ] || fail "2 unchanged"
[ "$(metric sambang_hub_conflicts_total)" = 1 ] || fail "1 conflict"
[ "$(metric sambang_hub_records_served_total)" = 2 ] || fail "2 served"
[ "$(metric 'sambang_hub_request_duration_seconds_count{route="push"}')" = 3 ] ||
  fail "3 push latencies"
[ "$(metric 'sambang_hub_request_duration_seconds_bucket{route="push",le="+Inf"}')" = 3 ] ||
  fail "histogram +Inf bucket"
[ "$(metric 'sambang_hub_records_refused_total{code="schema"}')" = 0 ] ||
  fail "nothing refused"
# Buckets are cumulative: never decreasing.
curl -sS "$URL/metrics" | grep '^sambang_hub_request_duration_seconds_bucket{route="push"' |
  awk '{ if ($2 < last) exit 1; last = $2 }' || fail "buckets must be cumulative"

stop_hub
