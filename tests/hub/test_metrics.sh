#!/usr/bin/env bash
# GET /metrics: Prometheus text with requests by route and status, records
# merged, refused and conflicted, open long-polls, a latency histogram, the
# long-poll hold apart from latency, the build, the process, and each
# device's last request.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok1=$("$HUB" device add one --scope all)
tok2=$("$HUB" device add two --scope all)
"$HUB" device add three --scope all >/dev/null
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

CASE="build and process"
metrics_text=$(curl -sS "$URL/metrics")
grep -qE '^sambang_build_info\{program="sambang-hub",version="[0-9]+\.[0-9]+\.[0-9]+"\} 1$' <<<"$metrics_text" ||
  fail "no sambang_build_info with the version"
grep -q '^# TYPE process_cpu_seconds_total counter$' <<<"$metrics_text" || fail "no process_cpu_seconds_total"
rss=$(metric process_resident_memory_bytes)
[ "${rss%.*}" -gt 1000000 ] || fail "resident memory of $rss bytes"
fds=$(metric process_open_fds)
[ "$fds" -gt 3 ] && [ "$fds" -lt "$(metric process_max_fds)" ] || fail "$fds open fds"
[ -n "$(metric process_start_time_seconds)" ] || fail "no start time"
# Every sample line is NAME{LABELS} VALUE or NAME VALUE, and every name has
# a TYPE line (exposition format, no stray text).
grep -v '^#' <<<"$metrics_text" | grep -vE '^[a-z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eE]+$' &&
  fail "malformed sample lines"
for name in $(grep -v '^#' <<<"$metrics_text" | sed -E 's/[{ ].*//; s/_(bucket|sum|count)$//' | sort -u); do
  grep -qE "^# TYPE $name " <<<"$metrics_text" || fail "no TYPE line for $name"
done

CASE="devices' last request"
age_one=$(metric 'sambang_hub_device_last_seen_age_seconds{device="one"}')
[ -n "$age_one" ] || fail "no last-seen age of device one"
awk -v a="$age_one" 'BEGIN { exit !(a >= 0 && a < 60) }' || fail "device one seen $age_one s ago"
seen_two=$(metric 'sambang_hub_device_last_seen_timestamp_seconds{device="two"}')
awk -v t="$seen_two" -v now="$(date +%s)" 'BEGIN { exit !(t > now - 60 && t <= now + 1) }' ||
  fail "device two last seen at $seen_two"
[ -z "$(metric 'sambang_hub_device_last_seen_age_seconds{device="three"}')" ] ||
  fail "a device that never came has no last-seen age"

CASE="records pending and refused, as each device says"
pull "$tok1" "$r1" 'since=0' -H 'Sambang-Marks: pending=2 refused=1'
expect_status 200
metrics_text=$(curl -sS "$URL/metrics")
[ "$(metric 'sambang_hub_device_records_pending{device="one"}')" = 2 ] &&
  [ "$(metric 'sambang_hub_device_records_refused{device="one"}')" = 1 ] ||
  fail "device one's marks: $(grep records_ <<<"$metrics_text")"
[ -z "$(metric 'sambang_hub_device_records_refused{device="two"}')" ] ||
  fail "device two never said its marks"

CASE="long-poll hold apart from latency"
[ "$(metric sambang_hub_longpoll_hold_seconds_count)" = 0 ] || fail "a hold before any long-poll"
before=$(metric 'sambang_hub_request_duration_seconds_sum{route="changes"}')
pull "$tok1" "$r1" 'since=0'
head=$(sed -n 's/.*"next":\([0-9]*\).*/\1/p' "$BODY")
[ -n "$head" ] || fail "no next in a page"
pull "$tok1" "$r1" "since=$head&wait=1"
expect_status 200
[ "$(metric sambang_hub_longpoll_hold_seconds_count)" = 1 ] || fail "one held long-poll"
held=$(metric sambang_hub_longpoll_hold_seconds_sum)
after=$(metric 'sambang_hub_request_duration_seconds_sum{route="changes"}')
awk -v h="$held" 'BEGIN { exit !(h >= 0.9 && h < 5) }' || fail "held $held s for wait=1"
awk -v a="$after" -v b="$before" 'BEGIN { exit !(a - b < 0.5) }' ||
  fail "the hold counted as latency: changes took $before then $after s in all"
[ "$(metric 'sambang_hub_longpoll_hold_seconds_bucket{le="0.5"}')" = 0 ] &&
  [ "$(metric 'sambang_hub_longpoll_hold_seconds_bucket{le="+Inf"}')" = 1 ] ||
  fail "hold buckets"
[ "$(metric 'sambang_hub_records_refused_total{code="out_of_scope"}')" = 0 ] ||
  fail "out_of_scope counted"

CASE="office logins by result"
printf 'office-pass-1\n' | "$HUB" user add ana --role admin
for r in ok bad locked busy; do
  [ "$(metric "sambang_hub_office_logins_total{result=\"$r\"}")" = 0 ] || fail "a $r login before any"
done
req POST /login --data 'user=ana&password=office-pass-1'
expect_status 303
for i in 1 2 3 4 5; do
  req POST /login --data "user=ana&password=wrong-$i"
  expect_status 401
done
req POST /login --data 'user=ana&password=office-pass-1'
expect_status 429 # ana is locked out for a while
[ "$(metric 'sambang_hub_office_logins_total{result="ok"}')" = 1 ] &&
  [ "$(metric 'sambang_hub_office_logins_total{result="bad"}')" = 5 ] &&
  [ "$(metric 'sambang_hub_office_logins_total{result="locked"}')" = 1 ] ||
  fail "login counts: $(curl -sS "$URL/metrics" | grep office_logins)"

stop_hub

CASE="last seen survives a restart"
start_hub
[ -n "$(metric 'sambang_hub_device_last_seen_age_seconds{device="two"}')" ] ||
  fail "device two's last request forgotten at restart"
stop_hub
