#!/usr/bin/env bash
# Tombstone purge is not built on the PostgreSQL backend yet (issue 12):
# `sambang-hub purge` refuses clearly there and changes nothing; bad input
# is still a usage error.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../hub/lib.sh"

expect_hub_ok init
expect_hub_ok device add office --scope all
"$HUB" export >"$WORK/before" || fail "export"
hub purge --older-than 0
[ "$RC" = 4 ] || fail "purge on PostgreSQL: exit 4, got $RC"
grep -q 'purge is not available on the postgresql backend' "$ERR" ||
  fail "purge names why: $(cat "$ERR")"
hub purge --older-than x
[ "$RC" = 2 ] || fail "bad DAYS: exit 2, got $RC"
"$HUB" export >"$WORK/after" || fail "export"
cmp -s "$WORK/before" "$WORK/after" || fail "a refused purge changed the store"
echo "ok"
