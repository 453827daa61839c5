#!/usr/bin/env bash
# sambang-hub compact on PostgreSQL (daemon/hub/DESIGN.md, "Erasure"): a
# name erased by a consent withdrawal and one erased by a delete are still
# in the bytes of the cluster's files (old row versions in the table, the
# WAL) before compact, which proves the scan sees them, and in none after
# it, with a hub serving all along; the devices sync on after it. A
# transaction holding the table makes it give up after 5 s, changing
# nothing (exit 5). Without wal_recycle = off, or without the rights to
# switch and checkpoint the WAL, compact says what is missing and exits
# 1. Bad arguments change nothing.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../sync/lib.sh"

# What an operator sets once (deploy/postgresql/README.md).
pg_sql postgres "ALTER SYSTEM SET wal_recycle = off" >/dev/null
pg_sql postgres "SELECT pg_reload_conf()" >/dev/null

# files_holding TEXT: the cluster's files whose bytes hold TEXT.
files_holding() {
  grep -r -a -l -F -- "$1" "$PG_DIR/data" 2>/dev/null || true
}

expect_hub_ok init
start_hub
for d in a b; do enrol "$d"; done
add() { # add DEVICE NAME: a beneficiary with consent; prints its id
  dev "$1" beneficiary add --name "$2" --contact 0813-5550 --consent yes \
    --group perempuan --kecamatan Serpong --kelurahan Ciater ||
    fail "beneficiary add on $1 failed"
}
X=$(add a "Ratna Kusumawardani")
Y=$(add a "Suryani Hutagalung")
K=$(add a "Wulan Sekarwangi")
sync_once a
sync_once b
dev a beneficiary edit "$X" --consent no >/dev/null || fail "withdraw X"
dev a rm beneficiary "$Y" >/dev/null || fail "rm Y"
sync_once a
sync_once b
dev b export >"$WORK/b.export" || fail "export on b"
for n in Ratna Suryani; do
  grep -q "$n" "$WORK/b.export" && fail "b still holds $n"
done
grep -q Sekarwangi "$WORK/b.export" || fail "b lost a kept name"
pg_sql hub "CHECKPOINT" >/dev/null # the table's pages reach its file
for n in Ratna Suryani; do
  [ -n "$(files_holding "$n")" ] ||
    fail "before compact, no file holds $n: the scan sees nothing"
done

CASE="bad arguments"
before=$(pg_sql hub "SELECT pg_relation_filenode('records')")
expect_hub_fail 2 compact --now
grep -q 'unexpected argument --now' "$ERR" || fail "name the bad argument"
[ "$(pg_sql hub "SELECT pg_relation_filenode('records')")" = "$before" ] ||
  fail "a refused compact rewrote the table"

CASE="compact, a hub serving"
expect_hub_ok compact
grep -q '^size: [0-9]* -> [0-9]* bytes$' "$OUT" || fail "no size line"
grep -qx 'log: cleared' "$OUT" || fail "the log must be cleared"
for n in Ratna Suryani; do
  held=$(files_holding "$n")
  [ -z "$held" ] || fail "after compact, $n is still in: $held"
done
[ -n "$(files_holding Sekarwangi)" ] || fail "a kept name left the files"
dev a beneficiary edit "$K" --kelurahan Jombang >/dev/null || fail "edit K"
sync_once a
sync_once b
expect_converged a b

CASE="the records table held by a transaction"
# An open transaction that read the records (psql, left open): compact
# waits 5 s for the table, then gives up (exit 5) having changed nothing;
# the hub serves on, and compact passes once the transaction ends.
mkfifo "$WORK/psql.in"
"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U sambang -d hub \
  <"$WORK/psql.in" >"$WORK/psql.out" 2>&1 &
psql_pid=$!
exec 5>"$WORK/psql.in"
echo "BEGIN; SELECT count(*) FROM records; SELECT 'holding';" >&5
wait_until 10 grep -q holding "$WORK/psql.out"
before=$(pg_sql hub "SELECT pg_relation_filenode('records')")
expect_hub_fail 5 compact
grep -q 'records table stayed in use' "$ERR" || fail "say why: $(cat "$ERR")"
[ "$(pg_sql hub "SELECT pg_relation_filenode('records')")" = "$before" ] ||
  fail "a compact that gave up rewrote the table"
dev a beneficiary edit "$K" --kelurahan Pondok >/dev/null || fail "edit K"
sync_once a
echo "COMMIT;" >&5
exec 5>&-
wait "$psql_pid" || fail "psql failed: $(cat "$WORK/psql.out")"
expect_hub_ok compact

CASE="no rights to the WAL"
pg_sql hub "CREATE ROLE plain LOGIN" >/dev/null
pg_sql hub "GRANT ALL ON ALL TABLES IN SCHEMA public TO plain" >/dev/null
pg_sql hub "ALTER TABLE records OWNER TO plain" >/dev/null
plain_uri=${SAMBANG_HUB_DB/sambang@/plain@}
expect_hub_fail 1 --db "$plain_uri" compact
grep -q 'pg_switch_wal() was refused' "$OUT" || fail "name pg_switch_wal"
grep -q 'CHECKPOINT was refused' "$OUT" || fail "name CHECKPOINT"
grep -q "log may still hold erased values" "$ERR" || fail "say it on stderr"
# A hub serving as that role says so in its log at start; the one of
# the role that has the rights said nothing.
grep -q '^warn.*erasure' "$WORK/hub.log" && fail "a warning with every right given"
stop_hub
start_hub_as() { # a hub on URI, its log in $WORK/hub.log
  SAMBANG_HUB_DB=$1 start_hub
}
start_hub_as "$plain_uri"
grep -q "erasure: .*may not run pg_switch_wal().*may not run CHECKPOINT" \
  "$WORK/hub.log" || fail "serve does not warn: $(cat "$WORK/hub.log")"
stop_hub

CASE="wal_recycle on"
pg_sql postgres "ALTER SYSTEM SET wal_recycle = on" >/dev/null
pg_sql postgres "SELECT pg_reload_conf()" >/dev/null
expect_hub_fail 1 compact
grep -q 'wal_recycle is on' "$OUT" || fail "name wal_recycle"
: >"$WORK/hub.log"
start_hub
grep -q "erasure: .*wal_recycle is on" "$WORK/hub.log" ||
  fail "serve does not warn of wal_recycle: $(cat "$WORK/hub.log")"
stop_hub
echo ok
