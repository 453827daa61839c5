#!/usr/bin/env bash
# One log line per request names who made it, last: the device a token
# belongs to, the office user of a session, or "-" (no one, or refused).
# Format: LEVEL: METHOD PATH STATUS MSms BYTESB CLIENT WHO
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin
tok=$("$HUB" device add tab-1 --scope all)
r1=$(dev_init d1)
dev d1 put notes a '{"t":"one"}' >/dev/null
batch_of d1 >"$WORK/b1.json"
start_hub

push "$tok" "$r1" "$WORK/b1.json"
expect_status 200
pull "$tok" "$r1" 'since=0'
expect_status 200
req GET '/v1/changes?since=0'
expect_status 401
req GET /metrics
expect_status 200
req POST /login -c "$WORK/ana.jar" --data-urlencode user=ana \
  --data-urlencode password=admin-pass-1
expect_status 303
req GET /api/session -b "$WORK/ana.jar"
expect_status 200
req GET /api/session
expect_status 401
# A path that unescapes to a line break and a terminal escape: one line,
# the bytes shown as \xNN, no forged line of its own.
req GET '/v1/nothing%0ainfo:%20GET%20/v1/push%20200%201.0ms%200B%20127.0.0.1%20tab-1%1b%5b2J'
expect_status 404
stop_hub
grep -q '^info: GET /v1/nothing\\x0ainfo: GET /v1/push 200 1.0ms 0B 127.0.0.1 tab-1\\x1b\[2J 404 ' "$WORK/hub.log" ||
  fail "the path's line break is not escaped: $(grep -a 'nothing' "$WORK/hub.log")"
grep -q '^info: GET /v1/push 200 1.0ms 0B' "$WORK/hub.log" && fail "a forged log line"
grep -q $'\x1b' "$WORK/hub.log" && fail "an escape byte reached the log"

line_of() { # line_of REGEX: the log must hold a line matching it
  grep -qE "^info: $1\$" "$WORK/hub.log" ||
    fail "no log line like [$1]; the log: $(grep '^info: [A-Z]* /' "$WORK/hub.log")"
}
n='[0-9.]+ms [0-9]+B 127\.0\.0\.1'
line_of "POST /v1/push 200 $n tab-1"
line_of "GET /v1/changes 200 $n tab-1"
line_of "GET /v1/changes 401 $n -"
line_of "GET /metrics 200 $n -"
line_of "GET /api/session 200 $n ana"
line_of "GET /api/session 401 $n -"
# Every request line ends with who made it (a name or -).
bad=$(grep -E '^info: [A-Z]+ /' "$WORK/hub.log" | grep -vE " $n [A-Za-z0-9._-]+\$" || true)
[ -z "$bad" ] || fail "log lines without who made them: $bad"

# The log names the store, never a password in it (on PostgreSQL, trust
# authentication here: the password is given but not asked for).
grep -qE "^info: serving .* on 127\.0\.0\.1:" "$WORK/hub.log" ||
  fail "no line saying which store is served"
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  plain=$SAMBANG_HUB_DB
  SAMBANG_HUB_DB=${plain/sambang@/sambang:s3cret-pw@}?password=s3cret-qs
  start_hub
  stop_hub
  SAMBANG_HUB_DB=$plain
  grep -q "sambang:\*\*\*@.*password=\*\*\*" "$WORK/hub.log" ||
    fail "the served store is not shown: $(grep serving "$WORK/hub.log")"
  ! grep -q "s3cret" "$WORK/hub.log" || fail "the log shows a password"
  "$HUB" --db "${plain/sambang@/sambang:s3cret-pw@}x" conflicts >"$OUT" 2>"$ERR" &&
    fail "a store that is not there was opened"
  ! grep -q "s3cret" "$ERR" || fail "an error shows a password: $(cat "$ERR")"
fi
echo ok
