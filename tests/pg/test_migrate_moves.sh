#!/usr/bin/env bash
# sambang-hub migrate keeps the scope moves (issues 12 and 13): a record
# that left a kecamatan on the SQLite hub, while a device of that
# kecamatan was offline, still leaves that device when it next syncs with
# the PostgreSQL hub the store was migrated to (with its visit).
. "$(dirname "$0")/../sync/lib.sh"
. "$(dirname "$0")/lib.sh"
trap 'pg_cleanup; sync_cleanup' EXIT

ben() { # ben DEVICE ID KECAMATAN
  dev "$1" put beneficiary "$2" "{\"consent\":true,\"groups\":[\"miskin\"],\"kecamatan\":\"$3\",\"name\":\"Ibu $2\"}" \
    >/dev/null || fail "put beneficiary $2 on $1"
}
ids() { # ids DEVICE: the ids its store holds, sorted, one line
  dev "$1" export | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | LC_ALL=C sort | tr '\n' ' '
}

pg_start || fail "cannot start PostgreSQL"
expect_hub_ok init
start_hub
port=${URL##*:}
enrol field all
enrol setu Setu
ben field b1 Setu
ben field b2 Setu
dev field put visit v1 '{"beneficiary":"b1","date":"2024-05-01","programme":"skills-cooking"}' \
  >/dev/null || fail "put visit"
sync_once field
sync_once setu
[ "$(ids setu)" = "b1 b2 v1 " ] || fail "setu holds [$(ids setu)] before the move"
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
