#!/usr/bin/env bash
# Office sessions expire (daemon/hub/OFFICE.md): after 30 min idle, and
# after 12 h in all however busy. The hub runs under libfaketime reading
# its offset from a file on every call, so the test moves the hub's clock
# forward instead of waiting (the monotonic clock is left alone, so the
# hub's timers are not disturbed).
. "$(dirname "$0")/lib.sh"

LIBFT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
[ -n "$LIBFT" ] || fail "libfaketime is not installed (apt-get install faketime)"

expect_hub_ok init
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin

CLOCK=$WORK/clock
echo '+0' >"$CLOCK"
clock() { # clock OFFSET: the hub's clock from now on (faketime's syntax)
  echo "$1" >"$CLOCK.new" && mv "$CLOCK.new" "$CLOCK"
}
# ASan and libfaketime together: tests/tools/faketime_asan.sh says why.
. "$(dirname "$0")/../tools/faketime_asan.sh"
LD_PRELOAD=$LIBFT FAKETIME_TIMESTAMP_FILE=$CLOCK FAKETIME_NO_CACHE=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1 \
  ASAN_OPTIONS=$FAKETIME_ASAN \
  start_hub

login() {
  req POST /login -c "$WORK/ana.jar" --data-urlencode user=ana \
    --data-urlencode password=admin-pass-1
  expect_status 303
}

CASE="a session used within 30 min lives on"
login
req GET /api/session -b "$WORK/ana.jar"
expect_status 200
clock '+29m'
req GET /api/session -b "$WORK/ana.jar"
expect_status 200
clock '+58m'
req GET /api/session -b "$WORK/ana.jar"
expect_status 200

CASE="30 min idle ends it"
clock '+89m'
req GET /api/session -b "$WORK/ana.jar"
expect_status 401
grep -q '"code":"unauthorized"' "$BODY" || fail "not the unauthorized envelope"
# and for good: going back in time does not revive it
clock '+60m'
req GET /api/session -b "$WORK/ana.jar"
expect_status 401
req GET / -b "$WORK/ana.jar"
expect_status 303

CASE="12 h in all end it, however busy"
clock '+0'
login
for m in $(seq 25 25 700); do # a request every 25 min, up to 11 h 40 min
  clock "+${m}m"
  req GET /api/session -b "$WORK/ana.jar"
  expect_status 200
done
clock '+721m'
req GET /api/session -b "$WORK/ana.jar"
expect_status 401

CASE="sessions that never came back leave the store at the next login"
sessions() { # rows of sessions in the hub's store (a removed one included)
  if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
    pg_sql hub "SELECT count(*) FROM office_sessions"
  else
    sqlite3 "$SAMBANG_HUB_DB" "SELECT count(*) FROM meta WHERE key LIKE 'office.session.%'"
  fi
}
clock '+722m'
login # (it sweeps: the sessions above are all expired or removed)
[ "$(sessions)" = 1 ] || fail "expected only the new session in the store, got $(sessions)"
cp "$WORK/ana.jar" "$WORK/old.jar"
clock '+775m'
login # within the hour: no sweep
[ "$(sessions)" = 2 ] || fail "a sweep within the hour: $(sessions)"
cp "$WORK/ana.jar" "$WORK/fresh.jar"
clock '+800m' # the first session is 78 min idle, the second 25 min
login
[ "$(sessions)" = 2 ] || fail "the sweep should remove the idle session only: $(sessions)"
req GET /api/session -b "$WORK/fresh.jar"
expect_status 200 # a live session is never swept
req GET /api/session -b "$WORK/old.jar"
expect_status 401

stop_hub

CASE="the limits come from the environment"
LD_PRELOAD=$LIBFT FAKETIME_TIMESTAMP_FILE=$CLOCK FAKETIME_NO_CACHE=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1 \
  ASAN_OPTIONS=$FAKETIME_ASAN \
  SAMBANG_OFFICE_IDLE_S=600 SAMBANG_OFFICE_ABSOLUTE_S=3600 start_hub
clock '+0'
login
clock '+9m'
req GET /api/session -b "$WORK/ana.jar"
expect_status 200 # 9 min idle: within 10
clock '+20m'
req GET /api/session -b "$WORK/ana.jar"
expect_status 401 # 11 min idle
clock '+21m'
login
for m in 30 39 48 57 66 75; do
  clock "+${m}m"
  req GET /api/session -b "$WORK/ana.jar"
  expect_status 200
done
clock '+82m' # 61 min since the login, used 7 min ago
req GET /api/session -b "$WORK/ana.jar"
expect_status 401
stop_hub

CASE="a bad limit stops serve before it listens, naming the variable"
for var in SAMBANG_OFFICE_IDLE_S SAMBANG_OFFICE_ABSOLUTE_S; do
  for v in abc 0 -5 1h 2592001 99999999999999999999 ' 60'; do
    set +e
    env "$var=$v" timeout 20 "$HUB" serve --listen 127.0.0.1:0 >"$OUT" 2>"$ERR"
    RC=$?
    set -e
    [ "$RC" -eq 2 ] || fail "$var=\"$v\": exit $RC, not 2"
    grep -q "^sambang-hub: serve: \\\$$var wants 1 to 2592000 seconds, not \"$v\"" \
      "$ERR" || fail "$var=\"$v\": $(head -1 "$ERR")"
    [ ! -s "$OUT" ] || fail "$var=\"$v\": it listened: $(cat "$OUT")"
  done
done
# Empty is unset: the default.
SAMBANG_OFFICE_IDLE_S= start_hub
stop_hub
