#!/usr/bin/env bash
# A move made by the office (issue 12 with issue 11): a reviewer who
# changes a beneficiary's kecamatan on the dashboard (/api/resolve) moves
# it as a device's push would: the devices of the old kecamatan are told
# it is gone and remove it with its visits; those of the new one get both.
. "$(dirname "$0")/lib.sh"

expect_ids() { # expect_ids DEVICE "ID ID ..."
  local got
  got=$(ids "$1")
  [ "$got" = "${2:+$2 }" ] || fail "$1 holds [$got], expected [$2]"
}

expect_hub_ok init
printf 'review-pass-1\n' | "$HUB" user add rina --role reviewer >/dev/null ||
  fail "user add"
start_hub
enrol field all
enrol setu Setu
enrol pam Pamulang
setu_two field setu
sync_once pam
expect_ids pam ""

CASE="the office moves b1 to Pamulang"
office_session rina review-pass-1
seq=$(curl -sS -b "$WORK/rina.jar" "$URL/api/record/beneficiary/b1" |
  sed -n 's/.*"seq":\([0-9]*\).*/\1/p' | head -n 1)
[ -n "$seq" ] || fail "no seq for b1"
req POST /api/resolve -b "$WORK/rina.jar" -H "X-CSRF-Token: $CSRF" \
  -H 'Content-Type: application/json' \
  --data "{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$seq,\"fields\":{\"kecamatan\":\"Pamulang\"}}"
expect_status 200
sync_once setu
sync_once pam
expect_ids setu "b2"
expect_ids pam "b1 v1"
dev pam get beneficiary b1 | grep -q '"kecamatan":"Pamulang"' ||
  fail "pam's b1 is not in Pamulang"
stop_hub
echo ok
