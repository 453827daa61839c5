#!/usr/bin/env bash
# Who may read /metrics (it names every device and its activity): by
# default a client on loopback only; `--metrics-from A[,A]` (or
# $SAMBANG_HUB_METRICS_FROM) names the client addresses allowed, or
# "any". Behind a trusted proxy the client is the X-Forwarded-For one, so
# a public request relayed by a proxy on 127.0.0.1 is refused; a relayed
# request whose header names no client is refused too (several
# X-Forwarded-For fields are one list). Refusals are 403
# `forbidden` in the JSON envelope; /v1/health stays open to all.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init

# A bad value names itself and starts nothing.
rc=0
"$HUB" serve --listen 127.0.0.1:0 --metrics-from 10.0.0 >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "--metrics-from 10.0.0: exit $rc, not 2"
grep -q '"10.0.0"' "$WORK/err" || fail "the error does not name the value: $(cat "$WORK/err")"
rc=0
SAMBANG_HUB_METRICS_FROM='any,10.0.0.1' "$HUB" serve --listen 127.0.0.1:0 \
  >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "SAMBANG_HUB_METRICS_FROM=any,10.0.0.1: exit $rc, not 2"
grep -q SAMBANG_HUB_METRICS_FROM "$WORK/err" || fail "the error does not name the variable"

# Default: loopback reads it.
start_hub
req GET /metrics
expect_status 200
expect_body_contains 'sambang_build_info'
stop_hub

# Behind a proxy on 127.0.0.1: the client is the forwarded one.
start_hub --trusted-proxy 127.0.0.1
req GET /metrics -H 'X-Forwarded-For: 203.0.113.5'
expect_error 403 forbidden
expect_body_contains 'metrics-from'
req GET /metrics -H 'X-Forwarded-For: 127.0.0.1, 203.0.113.5'
expect_error 403 forbidden
req GET /metrics -H 'X-Forwarded-For: not-an-address'
expect_error 403 forbidden
req GET /metrics # the proxy's own host, no header: a local scraper
expect_status 200
req GET /v1/health -H 'X-Forwarded-For: 203.0.113.5'
expect_status 200
stop_hub

# A named monitoring host, through the proxy; loopback is then not listed.
start_hub --trusted-proxy 127.0.0.1 --metrics-from 203.0.113.5,198.51.100.7
req GET /metrics -H 'X-Forwarded-For: 203.0.113.5'
expect_status 200
req GET /metrics -H 'X-Forwarded-For: 198.51.100.8'
expect_error 403 forbidden
req GET /metrics
expect_error 403 forbidden
# A proxy that appends a field of its own (HAProxy's forwardfor) after the
# client's: the fields are one list, its last entry the client the proxy
# saw, never the first field's spoofed one.
req GET /metrics -H 'X-Forwarded-For: 203.0.113.5' -H 'X-Forwarded-For: 198.51.100.8'
expect_error 403 forbidden
req GET /metrics -H 'X-Forwarded-For: 198.51.100.8' -H 'X-Forwarded-For: 203.0.113.5'
expect_status 200
stop_hub

# Without a trusted proxy the header counts for nothing.
SAMBANG_HUB_METRICS_FROM=203.0.113.5 start_hub
req GET /metrics -H 'X-Forwarded-For: 203.0.113.5'
expect_error 403 forbidden
stop_hub

start_hub --metrics-from any --trusted-proxy 127.0.0.1
req GET /metrics -H 'X-Forwarded-For: 192.0.2.1'
expect_status 200
stop_hub
echo "ok"
