#!/usr/bin/env bash
# The hub stops for a while; devices keep writing; the hub comes back on
# the same port: the daemons reconnect by themselves within the back-off
# cap and converge. While it is away, `sambang status` says offline.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
port=${URL##*:}
for d in d1 d2 d3; do enrol "$d"; done
printf 'backoff_min = 1\nbackoff_cap = 3\n' >"$WORK/d.conf"
for d in d1 d2 d3; do start_daemon "$d" --config "$WORK/d.conf"; done

dev d1 put notes n1 '{"text":"before"}' >/dev/null
wait_until 30 converged d1 d2 d3

offline() { dev "$1" status | grep -q 'offline'; }
stop_hub
for d in d1 d2 d3; do
  dev "$d" put notes "while-$d" "{\"text\":\"written while the hub is away\"}" \
    >/dev/null
done
dev d2 put notes n1 '{"text":"edited offline by d2"}' >/dev/null
dev d3 put notes n1 '{"text":"edited offline by d3"}' >/dev/null
for d in d1 d2 d3; do wait_until 30 offline "$d"; done

start_hub_at "$port"
# The cap is 3 s: everyone is back well within a few attempts.
wait_until 30 converged d1 d2 d3
grep -q '"while-d3"' "$WORK/hub.export" || fail "d3's offline write is missing"
dev d1 conflicts >"$WORK/c" && grep -q n1 "$WORK/c" ||
  fail "the concurrent offline edits of n1 show no conflict"
for d in d1 d2 d3; do stop_daemon "$d"; done
stop_hub
echo ok
