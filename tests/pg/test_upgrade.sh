#!/usr/bin/env bash
# A PostgreSQL hub store made by an older sambang-hub (schema version 7,
# before devices' copied_ms) is brought up to date by the next hub that
# opens it, in place: the device rows, their activity and the records
# stay, and the new column reads as "never".
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../sync/lib.sh"

expect_hub_ok init
start_hub
enrol d1
dev d1 put notes n1 '{"i":1}' >/dev/null
sync_once d1
port=${URL##*:}
stop_hub
before=$(hub_export | sha256sum)

# The store as version 7 left it.
pg_sql hub "ALTER TABLE devices DROP COLUMN copied_ms" >/dev/null ||
  fail "dropping copied_ms"
pg_sql hub "DELETE FROM schema_version WHERE version = 8" >/dev/null ||
  fail "stepping the version back"
[ "$(pg_sql hub "SELECT max(version) FROM schema_version")" = 7 ] ||
  fail "the store is not at version 7"

start_hub_at "$port"
[ "$(pg_sql hub "SELECT max(version) FROM schema_version")" = 8 ] ||
  fail "the hub did not bring the store to version 8"
[ "$(pg_sql hub "SELECT copied_ms FROM devices WHERE name = 'd1'")" = 0 ] ||
  fail "d1's copied_ms is not 0"
[ "$(pg_sql hub "SELECT seen_ms > 0 FROM devices WHERE name = 'd1'")" = t ] ||
  fail "d1's activity was lost"
[ "$(hub_export | sha256sum)" = "$before" ] || fail "the records changed"
dev d1 put notes n2 '{"i":2}' >/dev/null
sync_once d1
hub_export | grep -q '"id":"n2"' || fail "d1 cannot push after the upgrade"
stop_hub
echo ok
