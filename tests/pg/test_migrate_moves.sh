#!/usr/bin/env bash
# sambang-hub migrate keeps the scope moves (issues 12 and 13): a record
# that left a kecamatan on the SQLite hub, while a device of that
# kecamatan was offline, still leaves that device when it next syncs with
# the PostgreSQL hub the store was migrated to (with its visit).
. "$(dirname "$0")/migrate_lib.sh"

enrol field all
enrol setu Setu
setu_two field setu
# b1 moves to Pamulang while setu is offline.
ben field b1 Pamulang
sync_once field
stop_hub

CASE="migrate"
PGURI=$(pg_createdb hub)
expect_hub_ok migrate --from "$SAMBANG_HUB_DB" --to "$PGURI"
export SAMBANG_HUB_DB=$PGURI
start_hub_at "$port"
sync_once setu
[ "$(ids setu)" = "b2 " ] ||
  fail "after migrate, setu holds [$(ids setu)]: the move was lost"
stop_hub
echo ok
