#!/usr/bin/env bash
# sambang-hub check on PostgreSQL (issue 13): "ok" and exit 0 on a sound
# store; exit 6 naming each problem when the hub's data in the database is
# damaged: a feed counter below the records' numbers (it would hand out a
# number twice), a device row that does not parse, a record state that
# does not decode. Repairing the damage makes check pass again.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../sync/lib.sh"

expect_hub_ok init
start_hub
enrol d1
enrol d2 Setu
for i in 1 2 3; do dev d1 put notes "n$i" "{\"i\":$i}" >/dev/null; done
sync_once d1
stop_hub

CASE="sound"
expect_hub_ok check
[ "$(cat "$OUT")" = ok ] || fail "check must print ok, not $(cat "$OUT")"
expect_hub_fail 2 check extra

CASE="feed counter below the records"
pg_sql hub "UPDATE feed_counter SET seq = 1" >/dev/null
expect_hub_fail 6 check
grep -q 'feed counter (1) is below the newest record' "$OUT" ||
  fail "check must name the feed counter: $(cat "$OUT")"
# serve's quick check finds it too: that hub serves read-only.
start_hub
grep -q 'quick check: .*serving read-only' "$WORK/hub.log" ||
  fail "serve must log the failed quick check"
dev d1 put notes n4 '{"i":4}' >/dev/null
dev d1 sync --once >"$OUT" 2>"$ERR" && fail "a push must be refused while the check fails"
stop_hub
[ "$(pg_sql hub "SELECT count(*) FROM records WHERE id = 'n4'")" = 0 ] ||
  fail "the refused push must change nothing"
pg_sql hub "UPDATE feed_counter SET seq = (SELECT max(seq) FROM records)" >/dev/null
expect_hub_ok check

CASE="bad device rows"
pg_sql hub "UPDATE devices SET scope = 'Atlantis' WHERE name = 'd2'" >/dev/null
pg_sql hub "UPDATE devices SET token_sha256 = 'nothex' WHERE name = 'd1'" >/dev/null
expect_hub_fail 6 check
grep -q '^device d2: scope "Atlantis"' "$OUT" || fail "check must name d2's scope: $(cat "$OUT")"
grep -q '^device d1: malformed token hash' "$OUT" || fail "check must name d1's hash: $(cat "$OUT")"
pg_sql hub "UPDATE devices SET scope = 'Setu' WHERE name = 'd2'" >/dev/null
pg_sql hub "UPDATE devices SET token_sha256 = repeat('a', 64) WHERE name = 'd1'" >/dev/null
expect_hub_ok check

CASE="a record that does not decode"
pg_sql hub "UPDATE records SET state = '{\"broken' WHERE id = 'n2'" >/dev/null
expect_hub_fail 6 check
grep -q '^record notes/n2 (seq [0-9]*):' "$OUT" || fail "check must name notes/n2: $(cat "$OUT")"
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "one problem only: $(cat "$OUT")"
echo ok
