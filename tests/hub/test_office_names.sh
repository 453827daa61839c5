#!/usr/bin/env bash
# test_office_names.sh - the office's record page and `sambang-hub held`
# name the device of every write, however many devices the hub has (the
# record page once knew only the first 64).
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
printf 'review-pass-1\n' | "$HUB" user add rina --role reviewer
start_hub

# 70 devices, each writing once, so each has a replica; the last one's
# write is the one the record page must name.
for i in $(seq -w 1 70); do
  tok=$("$HUB" device add "d$i" --scope all)
  dev "d$i" init --server "$URL" --token "$tok" >/dev/null
  dev "d$i" put beneficiary "own-$i" '{"name":"Ibu '"$i"'","groups":["anak"],"kecamatan":"Setu","consent":true}' >/dev/null
  dev "d$i" sync --once >/dev/null
done
dev d70 put beneficiary b1 '{"name":"Ibu Sari","groups":["perempuan"],"kecamatan":"Serpong","consent":true,"kelurahan":"Lengkong"}' >/dev/null
dev d70 sync --once >/dev/null

CASE="the record page names the 70th device"
req POST /login -c "$WORK/rina.jar" --data-urlencode user=rina \
  --data-urlencode password=review-pass-1
expect_status 303
req GET /api/record/beneficiary/b1 -b "$WORK/rina.jar"
expect_status 200
grep -q '"value":"Lengkong","device":"d70"' "$BODY" ||
  fail "the 70th device's write is not named: $(cat "$BODY")"
grep -q '"device":null' "$BODY" && fail "a write without its device's name"
req GET /api/record/beneficiary/own-01 -b "$WORK/rina.jar"
grep -q '"device":"d01"' "$BODY" || fail "the first device's write is not named"

stop_hub
