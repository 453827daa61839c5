#!/usr/bin/env bash
# test_office_names.sh - the office's record page and `sambang-hub held`
# name the device of every write, however many devices the hub has (the
# record page once knew only the first 64).
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
printf 'review-pass-1\n' | "$HUB" user add rina --role reviewer
start_hub

# 70 devices, each writing once, so each has a replica; the last one's
# write is the one the record page must name. d01 and d70 are real
# devices; the others push what such a device pushes (d01's record as
# their own replica wrote it, under their own id and name), each with its
# own token, which is all the hub knows a device by. (A real store per
# device took four sanitized processes each.)
own() { printf '{"name":"Ibu %s","groups":["anak"],"kecamatan":"Setu","consent":true}' "$1"; }
for i in 01 70; do
  tok=$("$HUB" device add "d$i" --scope all)
  dev "d$i" init --server "$URL" --token "$tok" >/dev/null
  dev "d$i" put beneficiary "own-$i" "$(own "$i")" >/dev/null
done
dev d01 sync --once >/dev/null
r1=$(replica_of d01)
[ -n "$r1" ] || fail "no replica id in d01's status"
dev d01 export >"$WORK/d01.export"
for i in $(seq -w 2 69); do
  tok=$("$HUB" device add "d$i" --scope all)
  push_as "$tok" "device$i" "$WORK/d01.export" "s/$r1/device$i/g; s/own-01/own-$i/; s/Ibu 01/Ibu $i/"
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
req GET /api/record/beneficiary/own-69 -b "$WORK/rina.jar"
grep -q '"value":"Ibu 69","device":"d69"' "$BODY" || fail "the 69th device's write is not named: $(cat "$BODY")"

stop_hub
