#!/usr/bin/env bash
# sambang-hub compact on the embedded SQLite store, a hub serving: once
# records were rewritten smaller, the file's free room goes back (the
# size it prints shrinks by half, the file is that size), the WAL is truncated, and
# devices sync on. A bad argument changes nothing. (PostgreSQL:
# tests/pg/test_compact.sh; a damaged store: tests/hub/test_corrupt.sh.)
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol a
enrol b
big=$(printf 'x%.0s' {1..3000})
for ((i = 0; i < 300; i++)); do
  printf '{"collection":"notes","id":"n%03d","fields":{"text":"%s"}}\n' "$i" "$big"
done >"$WORK/big.jsonl"
sed 's/"text":"x*"/"text":"short"/' "$WORK/big.jsonl" >"$WORK/small.jsonl"
dev a import "$WORK/big.jsonl" >/dev/null || fail "import of big notes"
sync_once a
dev a import "$WORK/small.jsonl" >/dev/null || fail "import of small notes"
sync_once a

CASE="bad argument"
sum=$(sha256sum <"$SAMBANG_HUB_DB")
expect_hub_fail 2 compact --vacuum
grep -q 'unexpected argument --vacuum' "$ERR" || fail "name the bad argument"
[ "$(sha256sum <"$SAMBANG_HUB_DB")" = "$sum" ] || fail "a refused compact wrote"

CASE="compact"
expect_hub_ok compact
read -r _ before _ after _ <"$OUT"
[ "$after" -lt $((before / 2)) ] ||
  fail "the store must shrink by half at least: $before -> $after"
grep -qx 'log: cleared' "$OUT" || fail "the WAL must be truncated"
[ "$(stat -c %s "$SAMBANG_HUB_DB-wal")" = 0 ] || fail "the WAL is not empty"
[ "$(stat -c %s "$SAMBANG_HUB_DB")" = "$after" ] ||
  fail "the file is not the size compact printed"
dev a put notes n000 '{"text":"after"}' >/dev/null || fail "put after compact"
sync_once a
sync_once b
expect_converged a b
grep -q '"after"' "$WORK/hub.export" || fail "the write after compact is missing"
echo ok
