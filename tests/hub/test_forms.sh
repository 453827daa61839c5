#!/usr/bin/env bash
# The record states' two forms (proto/PROTOCOL.md, "The compact form").
# Every reply says the hub reads the compact form (Sambang-Forms). A
# changes request without form= (every older device) gets the full form,
# byte for byte the device's export; with form=compact, the states as
# stored, each the same record (pushed back in that form, as the form's
# own media type or as application/json, they change nothing). A bad
# form= is refused and changes nothing. Runs on both backends
# (hub_pg.forms).
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok=$("$HUB" device add a --scope all)
r=$(dev_init a)
dev a put notes n1 '{"text":"one","n":1,"tags":["x",{"b":2,"a":1}]}' \
  >/dev/null || fail "put n1"
dev a put notes n2 '{"text":"two","n":2}' >/dev/null || fail "put n2"
dev a put notes n2 '{"n":3}' >/dev/null || fail "edit n2"
dev a put notes n3 '{"text":"three"}' >/dev/null || fail "put n3"
dev a rm notes n3 >/dev/null || fail "rm n3"
batch_of a >"$WORK/full.json"
start_hub
push "$tok" "$r" "$WORK/full.json"
expect_status 200
expect_header "Sambang-Forms: compact"

CASE="full unless asked"
pull "$tok" "$r" "since=0"
expect_status 200
expect_header "Sambang-Forms: compact"
page_states | sort >"$WORK/full_states"
[ "$(wc -l <"$WORK/full_states")" = 3 ] || fail "expected 3 states"
if grep -q '"at":' "$WORK/full_states"; then
  fail "a page asked without form= must hold the full form"
fi
dev a export | sort >"$WORK/export"
diff "$WORK/full_states" "$WORK/export" >&2 ||
  fail "the full form must be the device's export, byte for byte"
pull "$tok" "$r" "since=0&form=full"
expect_status 200
page_states | sort | cmp -s - "$WORK/full_states" || fail "form=full differs"

CASE="compact asked"
pull "$tok" "$r" "since=0&form=compact"
expect_status 200
page_states >"$WORK/compact_states"
# n1 and n2 live (n2's edit keeps n apart in "fields"); n3 deleted: full.
[ "$(grep -c '^{"at":\[' "$WORK/compact_states")" = 2 ] ||
  fail "expected 2 compact states: $(cat "$WORK/compact_states")"
grep -q '"values":{"n":1,"tags":\["x",{"a":1,"b":2}\],"text":"one"}' \
  "$WORK/compact_states" ||
  fail "n1's values: $(grep '"n1"' "$WORK/compact_states")"
[ "$(wc -c <"$WORK/compact_states")" -lt "$(wc -c <"$WORK/full_states")" ] ||
  fail "the compact form is not smaller"

CASE="pushed back compact"
mapfile -t as_a < <(auth "$tok" "$r")
printf '{"records":[%s]}' "$(paste -sd, "$WORK/compact_states")" \
  >"$WORK/compact.json"
snapshot
for type in application/vnd.sambang.compact+json application/json; do
  req POST /v1/push "${as_a[@]}" -H "Content-Type: $type" \
    --data-binary @"$WORK/compact.json"
  expect_status 200
  [ "$(grep -o '"ok":true' "$BODY" | wc -l)" = 3 ] ||
    fail "the same states must be taken as $type: $(cat "$BODY")"
  expect_unchanged
done

CASE="a bad form"
pull "$tok" "$r" "since=0&form=tiny"
expect_error 400 bad_query
expect_body_contains 'query parameter \"form\": \"tiny\" is not full or compact'
req POST /v1/push "${as_a[@]}" -H "Content-Type: application/vnd.sambang.other+json" \
  --data-binary @"$WORK/compact.json"
expect_error 415 unsupported_media_type
expect_unchanged
echo "ok"
