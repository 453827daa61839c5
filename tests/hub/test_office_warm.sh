#!/usr/bin/env bash
# The office's facts are read while someone logs in
# (daemon/hub/hub_office_warm.c): not when the hub starts, but when the
# login page is first served, on the pool; the first look then reads
# nothing more, and neither does the login page served again.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin
start_hub
dev a init --server "$URL" --token "$("$HUB" device add a --scope all)" >/dev/null
for i in $(seq 1 300); do
  printf '{"collection":"notes","id":"n%03d","fields":{"i":%d}}\n' "$i" "$i"
done >"$WORK/n.jsonl"
dev a import "$WORK/n.jsonl" >/dev/null || fail "import"
dev a sync --once >"$OUT" 2>"$ERR" || fail "sync: $(cat "$ERR")"
stop_hub
start_hub

CASE="not at start"
[ "$(metric sambang_hub_office_tally_rebuilds_total)" = 0 ] ||
  fail "the hub must not read the office's facts at start"

CASE="the login page"
req GET /login
expect_status 200
wait_metric sambang_hub_office_tally_rebuilds_total 1
[ "$(metric sambang_hub_office_tally_records_read_total)" = 300 ] ||
  fail "the facts of the 300 records must be read: $(metric sambang_hub_office_tally_records_read_total)"

CASE="the first look"
req POST /login -c "$WORK/jar" --data 'user=ana&password=admin-pass-1'
expect_status 303
req GET /api/overview -b "$WORK/jar"
expect_status 200
grep -q '"notes":300' "$BODY" || fail "the overview must count 300 notes: $(cat "$BODY")"
req GET /login
expect_status 200
[ "$(metric sambang_hub_office_tally_rebuilds_total)" = 1 ] &&
  [ "$(metric sambang_hub_office_tally_records_read_total)" = 300 ] ||
  fail "nothing more may be read: $(metric sambang_hub_office_tally_rebuilds_total) rebuilds, $(metric sambang_hub_office_tally_records_read_total) read"
stop_hub
echo ok
