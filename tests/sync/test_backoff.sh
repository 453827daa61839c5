#!/usr/bin/env bash
# While the hub is down, a daemon backs off: the requests it makes over a
# window are counted (through the loopback proxy in front of the dead
# hub's port) and must stay within what exponential back-off allows, yet
# it keeps trying. A 401 stops syncing with a clear status, no retries.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
port=${URL##*:}
enrol d1
stop_hub

# The proxy forwards to the dead port and counts connections.
start_proxy "$port" --count-file "$WORK/count"

printf 'server = %s\nbackoff_min = 2\nbackoff_cap = 8\n' "$PROXY_URL" \
  >"$WORK/d.conf"
start_daemon d1 --config "$WORK/d.conf"
count() { cat "$WORK/count" 2>/dev/null || echo 0; }
at_least() { [ "$(count)" -ge "$1" ]; }
# It tries, fails, and tries again by itself...
wait_until 20 at_least 3
t0=$(date +%s%N)
c0=$(count)
# ...but over the next 10 s, with back-off from 2 s doubling to 8 s, at
# most 6 attempts fit even if every wait were the 2 s floor; a busy loop
# would make thousands.
sleep 10
c1=$(count)
t1=$(date +%s%N)
echo "attempts in $(((t1 - t0) / 1000000)) ms: $((c1 - c0))"
[ $((c1 - c0)) -le 6 ] || fail "no back-off: $((c1 - c0)) attempts in 10 s"
# Writes while offline do not each cost an attempt (the wait stands): only
# the retries the 2 s floor lets fall in while they run (one per 2 s, plus
# one already due), however slow the machine makes the six writes.
c2=$(count)
w0=$(date +%s%N)
for i in 1 2 3 4 5 6; do dev d1 put notes "off$i" '{"x":1}' >/dev/null; done
c3=$(count)
w1=$(date +%s%N)
allowed=$((1 + (w1 - w0) / 2000000000))
echo "6 writes in $(((w1 - w0) / 1000000)) ms: $((c3 - c2)) attempts (at most $allowed)"
[ $((c3 - c2)) -le "$allowed" ] ||
  fail "6 offline writes made $((c3 - c2)) attempts (at most $allowed)"
dev d1 status >"$OUT"
grep -q 'offline' "$OUT" || fail "status does not say offline: $(cat "$OUT")"
grep -q 'next retry' "$OUT" || fail "status does not show the next retry"
stop_daemon d1

# A revoked token: the daemon stops syncing and says why.
start_hub_at "$port"
"$HUB" device revoke d1 >/dev/null || fail "revoke failed"
printf 'backoff_min = 1\nbackoff_cap = 1\n' >"$WORK/d2.conf"
start_daemon d1 --config "$WORK/d2.conf"
halted() { dev d1 status | grep -q 'halted'; }
wait_until 20 halted
requests() { grep -c '/v1/' "$WORK/hub.log" || true; }
n0=$(requests)
# Halted means no retries: a window where cap 1 s would allow several.
sleep 3
[ "$(requests)" -eq "$n0" ] || fail "a halted daemon kept sending requests"
dev d1 status >"$OUT"
grep -q 'revoked' "$OUT" || fail "status does not name the refusal: $(cat "$OUT")"
stop_daemon d1
stop_hub
echo ok
