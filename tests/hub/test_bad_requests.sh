#!/usr/bin/env bash
# A table of bad requests: each gets the right status and error code, and
# the hub's store is unchanged afterwards (a refused request applies
# nothing). Then per-record refusals: the request succeeds, the bad record
# alone is refused with its reason, and nothing of it is stored.
. "$(dirname "$0")/lib.sh"

hub_replica=$("$HUB" init)
tokA=$("$HUB" device add dev-a --scope all)
tokB=$("$HUB" device add dev-b --scope all)
tokC=$("$HUB" device add dev-c --scope all)
rA=$(dev_init a)
rB=$(dev_init b)
rC=$(dev_init c)
dev a put notes n1 '{"title":"first"}' >/dev/null
dev a put notes n2 '{"title":"second"}' >/dev/null
batch_of a >"$WORK/good.json"
"$HUB" device revoke dev-b 2>/dev/null

start_hub
push "$tokA" "$rA" "$WORK/good.json"
expect_status 200
pull "$tokC" "$rC" 'since=0' # binds dev-c to rC
expect_status 200

TS=1714550400000000
COUNT=0
JSON=(-H 'Content-Type: application/json')

# bad NAME STATUS CODE METHOD PATH [CURL_ARGS...]
# The store is exported before the first bad request only: each is checked
# to leave it as that export, so it is the next one's "before" too (a step
# between two bad requests that changes the store must call snapshot).
bad() {
  CASE=$1
  local status=$2 code=$3 method=$4 path=$5
  shift 5
  [ -s "$WORK/snapshot" ] || snapshot
  req "$method" "$path" "$@"
  expect_error "$status" "$code"
  expect_unchanged
  COUNT=$((COUNT + 1))
  CASE=
}

# bad_push NAME STATUS CODE FILE [CURL_ARGS...]: a push by device A.
bad_push() {
  local name=$1 status=$2 code=$3 file=$4
  shift 4
  bad "$name" "$status" "$code" POST /v1/push \
    -H "Authorization: Bearer $tokA" -H "Sambang-Replica: $rA" \
    "${JSON[@]}" --data-binary @"$file" "$@"
}

# A record state: state COLLECTION ID FIELDS VV [TOMBSTONES [DELETED]]
state() {
  printf '{"collection":"%s","deleted":%s,"fields":%s,"id":"%s","tombstones":%s,"vv":%s}' \
    "$1" "${6:-false}" "$3" "$2" "${5:-[]}" "$4"
}
# One field entry list: entry REPLICA COUNTER TS VALUE
entry() {
  printf '[{"dot":["%s",%s],"ts":%s,"value":%s}]' "$1" "$2" "$3" "$4"
}
# body FILE STATE...: {"records":[STATE,...]} into $WORK/FILE
body() {
  local file=$WORK/$1
  shift
  local IFS=,
  printf '{"records":[%s]}' "$*" >"$file"
}

# --- authentication ----------------------------------------------------
G=$WORK/good.json
bad no_token 401 unauthorized POST /v1/push "${JSON[@]}" --data-binary @"$G"
expect_header 'WWW-Authenticate: Bearer realm="sambang"'
bad basic_scheme 401 unauthorized POST /v1/push -H 'Authorization: Basic dXNlcjpwYXNz' \
  -H "Sambang-Replica: $rA" "${JSON[@]}" --data-binary @"$G"
bad unknown_token 401 unauthorized POST /v1/push \
  -H "Authorization: Bearer $(printf '%064d' 0)" -H "Sambang-Replica: $rA" \
  "${JSON[@]}" --data-binary @"$G"
bad short_token 401 unauthorized POST /v1/push -H "Authorization: Bearer ${tokA:0:20}" \
  -H "Sambang-Replica: $rA" "${JSON[@]}" --data-binary @"$G"
bad empty_bearer 401 unauthorized POST /v1/push -H "Authorization: Bearer " \
  -H "Sambang-Replica: $rA" "${JSON[@]}" --data-binary @"$G"
bad uppercase_token 401 unauthorized POST /v1/push \
  -H "Authorization: Bearer ${tokA^^}" -H "Sambang-Replica: $rA" \
  "${JSON[@]}" --data-binary @"$G"
bad revoked 403 revoked POST /v1/push -H "Authorization: Bearer $tokB" \
  -H "Sambang-Replica: $rB" "${JSON[@]}" --data-binary @"$G"
bad revoked_pull 403 revoked GET '/v1/changes?since=0' \
  -H "Authorization: Bearer $tokB" -H "Sambang-Replica: $rB"
bad token_other_replica 403 replica_mismatch POST /v1/push \
  -H "Authorization: Bearer $tokA" -H "Sambang-Replica: $rB" \
  "${JSON[@]}" --data-binary @"$G"
bad replica_taken 403 replica_mismatch GET '/v1/changes' \
  -H "Authorization: Bearer $tokC" -H "Sambang-Replica: $rA"
bad hub_replica 403 replica_mismatch GET '/v1/changes' \
  -H "Authorization: Bearer $tokC" -H "Sambang-Replica: $hub_replica"
bad no_replica 400 malformed POST /v1/push -H "Authorization: Bearer $tokA" \
  "${JSON[@]}" --data-binary @"$G"
bad bad_replica 400 malformed POST /v1/push -H "Authorization: Bearer $tokA" \
  -H 'Sambang-Replica: not a replica!' "${JSON[@]}" --data-binary @"$G"
bad long_replica 400 malformed GET /v1/changes -H "Authorization: Bearer $tokA" \
  -H "Sambang-Replica: $(printf 'a%.0s' $(seq 33))"
bad pull_no_token 401 unauthorized GET '/v1/changes?since=0'
# Authentication comes first: a bad query from a stranger is still a 401.
bad stranger_bad_query 401 unauthorized GET '/v1/changes?limit=0'

# --- paths and methods -------------------------------------------------
bad unknown_path 404 not_found GET /v1/pull
bad other_version 404 not_found POST /v2/push "${JSON[@]}" --data-binary @"$G"
# (GET / is the office dashboard: tests/hub/test_office_api.sh)
bad unknown_root_path 404 not_found GET /index.php
bad get_push 405 method_not_allowed GET /v1/push
expect_header 'Allow: POST'
bad put_push 405 method_not_allowed PUT /v1/push "${JSON[@]}" --data-binary @"$G"
bad delete_changes 405 method_not_allowed DELETE /v1/changes
expect_header 'Allow: GET'
bad post_changes 405 method_not_allowed POST /v1/changes "${JSON[@]}" --data-binary @"$G"
bad post_health 405 method_not_allowed POST /v1/health --data-binary x
bad post_metrics 405 method_not_allowed POST /metrics --data-binary x

# --- media types and encodings ----------------------------------------
JSON=(-H 'Content-Type: text/plain')
bad_push text_plain 415 unsupported_media_type "$G"
JSON=(-H 'Content-Type:')
bad_push no_content_type 415 unsupported_media_type "$G"
JSON=(-H 'Content-Type: application/json; charset=latin1')
bad_push latin1 415 unsupported_media_type "$G"
JSON=(-H 'Content-Type: application/json; charset="latin1"')
bad_push quoted_latin1 415 unsupported_media_type "$G"
# UTF-8 however spelled (quoted, no hyphen, any case) is JSON (a retry of
# the same batch: nothing changes).
for ct in 'application/json; charset="UTF-8"' 'Application/JSON;charset=utf8' \
  'application/json ; charset=Utf-8 ; q=1'; do
  CASE="Content-Type: $ct"
  req POST /v1/push -H "Authorization: Bearer $tokA" -H "Sambang-Replica: $rA" \
    -H "Content-Type: $ct" --data-binary @"$G"
  expect_status 200
done
CASE=
JSON=(-H 'Content-Type: application/json; charset=utf-8')
bad_push brotli 415 unsupported_media_type "$G" -H 'Content-Encoding: br'
bad_push not_gzip 415 unsupported_media_type "$G" -H 'Content-Encoding: gzip'
gzip -c "$G" >"$WORK/good.gz"
head -c $(($(wc -c <"$WORK/good.gz") - 6)) "$WORK/good.gz" >"$WORK/cut.gz"
bad_push truncated_gzip 415 unsupported_media_type "$WORK/cut.gz" -H 'Content-Encoding: gzip'

# --- sizes ---------------------------------------------------------------
head -c $((17 * 1024 * 1024)) /dev/zero | gzip -c >"$WORK/bomb.gz"
bad_push gzip_bomb 413 too_large "$WORK/bomb.gz" -H 'Content-Encoding: gzip'
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
bad_push huge_body 413 too_large "$WORK/huge.json"
bad_push huge_chunked_body 413 too_large "$WORK/huge.json" -H 'Transfer-Encoding: chunked'

# --- malformed bodies --------------------------------------------------
head -c $(($(wc -c <"$G") / 2)) "$G" >"$WORK/half.json"
bad_push truncated_body 400 malformed "$WORK/half.json"
: >"$WORK/empty.json"
bad_push empty_body 400 malformed "$WORK/empty.json"
printf '[]' >"$WORK/array.json"
bad_push not_an_object 400 malformed "$WORK/array.json"
printf '{"records":{}}' >"$WORK/rec_obj.json"
bad_push records_not_array 400 malformed "$WORK/rec_obj.json"
expect_body_lacks '"record":' # not about one record
printf '{"recs":[]}' >"$WORK/no_records.json"
bad_push no_records 400 malformed "$WORK/no_records.json"
printf '{"records":[1]}' >"$WORK/rec_num.json"
bad_push record_not_object 400 malformed "$WORK/rec_num.json"
expect_body_contains '"record":0}'
printf '{"records":[],"note":"\xff\xfe"}' >"$WORK/utf8.json"
bad_push bad_utf8 400 malformed "$WORK/utf8.json"
printf '{"records":[],"note":"\xc0\xaf"}' >"$WORK/overlong.json"
bad_push overlong_utf8 400 malformed "$WORK/overlong.json"
printf '{"records":[]}\0' >"$WORK/nul.json"
bad_push nul_byte 400 malformed "$WORK/nul.json"
printf '{"records":[]} x' >"$WORK/trailing.json"
bad_push trailing_garbage 400 malformed "$WORK/trailing.json"
printf '{"records":[],"records":[]}' >"$WORK/dup.json"
bad_push duplicate_key 400 malformed "$WORK/dup.json"
line=$(dev a export | head -n 1)
{
  printf '{"records":['
  for i in $(seq 1000); do printf '%s,' "$line"; done
  printf '%s]}' "$line"
} >"$WORK/many.json"
bad_push too_many_records 400 malformed "$WORK/many.json"

# Record states that break the rules of PROTOCOL.md, "Record states".
body huge_counter.json "$(state notes x1 "$(entry "$rA" 9007199254740993 $TS 1)" "{\"$rA\":9007199254740993}")"
bad_push huge_counter 400 malformed "$WORK/huge_counter.json"
body zero_counter.json "$(state notes x1 "$(entry "$rA" 0 $TS 1)" "{\"$rA\":0}")"
bad_push zero_counter 400 malformed "$WORK/zero_counter.json"
body neg_counter.json "$(state notes x1 "$(entry "$rA" -1 $TS 1)" "{\"$rA\":1}")"
bad_push negative_counter 400 malformed "$WORK/neg_counter.json"
body frac_counter.json "$(state notes x1 "$(entry "$rA" 1.5 $TS 1)" "{\"$rA\":2}")"
bad_push fractional_counter 400 malformed "$WORK/frac_counter.json"
body huge_ts.json "$(state notes x1 "$(entry "$rA" 1 1e300 1)" "{\"$rA\":1}")"
bad_push huge_timestamp 400 malformed "$WORK/huge_ts.json"
body string_ts.json "$(state notes x1 "$(entry "$rA" 1 "\"$TS\"" 1)" "{\"$rA\":1}")"
bad_push string_timestamp 400 malformed "$WORK/string_ts.json"
body uncovered.json "$(state notes x1 "$(entry "$rA" 3 $TS 1)" "{\"$rA\":2}")"
bad_push dot_not_covered 400 malformed "$WORK/uncovered.json"
body empty_vv.json "$(state notes x1 '{}' '{}')"
bad_push empty_vv 400 malformed "$WORK/empty_vv.json"
body bad_coll.json "$(state 'no tes' x1 "$(entry "$rA" 1 $TS 1)" "{\"$rA\":1}")"
bad_push bad_collection 400 malformed "$WORK/bad_coll.json"
body bad_id.json "$(state notes 'x 1' "$(entry "$rA" 1 $TS 1)" "{\"$rA\":1}")"
bad_push bad_id 400 malformed "$WORK/bad_id.json"
body bad_vv_id.json "$(state notes x1 "$(entry "$rA" 1 $TS 1)" "{\"$rA\":1,\"bad id\":1}")"
bad_push bad_vv_replica 400 malformed "$WORK/bad_vv_id.json"
body deleted_lie.json "$(state notes x1 "$(entry "$rA" 1 $TS 1)" "{\"$rA\":1}" '[]' true)"
bad_push deleted_mismatch 400 malformed "$WORK/deleted_lie.json"
two="[{\"dot\":[\"$rA\",2],\"ts\":$TS,\"value\":2},{\"dot\":[\"$rA\",1],\"ts\":$TS,\"value\":1}]"
body unsorted.json "$(state notes x1 "{\"t\":$two}" "{\"$rA\":2}")"
bad_push unsorted_entries 400 malformed "$WORK/unsorted.json"
body no_value.json "$(state notes x1 "{\"t\":[{\"dot\":[\"$rA\",1],\"ts\":$TS}]}" "{\"$rA\":1}")"
bad_push entry_without_value 400 malformed "$WORK/no_value.json"
# One bad state refuses the whole batch, even after a good one.
ok_new=$(state notes x2 "{\"t\":$(entry "$rA" 1 $TS 1)}" "{\"$rA\":1}")
body mixed.json "$ok_new" "$(state notes x1 "$(entry "$rA" 1 $TS 1)" '{}')"
bad_push good_then_malformed 400 malformed "$WORK/mixed.json"
expect_body_contains '"record":1}'
# The refusal names the record at fault by its index, as a field of the
# error (PROTOCOL.md, "Errors"), not only in the message.
ok_new2=$(state notes x4 "{\"t\":$(entry "$rA" 1 $TS 1)}" "{\"$rA\":1}")
body third_broken.json "$ok_new" "$ok_new2" "$(state notes x1 "$(entry "$rA" 3 $TS 1)" "{\"$rA\":2}")"
bad_push third_malformed 400 malformed "$WORK/third_broken.json"
expect_body_contains '"record":2}'

# --- change feed queries ----------------------------------------------
for q in 'limit=0' 'limit=5001' 'since=-1' 'wait=61' 'since=abc' \
  'since=18446744073709551616' 'limit=' 'wait=1.5' 'since=+1' 'limit=%201'; do
  bad "query_$q" 400 bad_query GET "/v1/changes?$q" \
    -H "Authorization: Bearer $tokA" -H "Sambang-Replica: $rA"
done

[ "$COUNT" -ge 35 ] || fail "only $COUNT bad requests"

# --- per-record refusals: the others are applied ----------------------
# refused NAME CODE BATCH_FILE ID: status 200, record ID refused with CODE,
# the good record x2 stored, the refused one not.
refused() {
  CASE=$1
  local code=$2 file=$3 id=$4
  push "$tokA" "$rA" "$file"
  expect_status 200
  expect_body_contains "\"error\":{\"code\":\"$code\",\"message\":"
  expect_body_contains "\"id\":\"$id\",\"ok\":false"
  hub_export >"$WORK/now"
  if grep -qF "\"id\":\"$id\"" "$WORK/now"; then
    fail "refused record $id was stored"
  fi
  COUNT=$((COUNT + 1))
  CASE=
}

now_ms=$(date +%s%3N)
future=$(((now_ms + 2 * 86400 * 1000) * 1000))
body future.json "$(state notes f1 "{\"t\":$(entry "$rA" 1 $future 1)}" "{\"$rA\":1}")" "$ok_new"
refused future_timestamp future_timestamp "$WORK/future.json" f1
expect_body_contains 'notes/f1: field \"t\" has timestamp'
expect_body_contains '"id":"x2","ok":true'
hub_export | grep -qF '"id":"x2"' || fail "the good record x2 must be stored"

visit() { # visit ID PROGRAMME
  printf '{"collection":"visit","deleted":false,"fields":{"beneficiary":%s,"date":%s,"programme":%s},"id":"%s","tombstones":[],"vv":{"%s":1}}' \
    "$(entry "$rA" 1 $TS '"b-1"')" "$(entry "$rA" 1 $TS '"2026-11-20"')" \
    "$(entry "$rA" 1 $TS "\"$2\"")" "$1" "$rA"
}
body schema_enum.json "$(visit v1 knitting)"
refused schema_enum schema "$WORK/schema_enum.json" v1
expect_body_contains 'programme'
body schema_case.json "$(visit v2 SKILLS-COOKING)"
refused schema_spelling schema "$WORK/schema_case.json" v2
# Record rules (required fields, consent) are the writer's, not the hub's:
# the hub refuses a write only for what is wrong in the write itself.
body schema_required.json "$(state visit v3 "{\"date\":$(entry "$rA" 1 $TS '"2026-11-20"')}" "{\"$rA\":1}")"
push "$tokA" "$rA" "$WORK/schema_required.json"
expect_status 200
expect_body_contains '"id":"v3","ok":true'
body schema_unknown.json "$(state visit v4 "{\"colour\":$(entry "$rA" 1 $TS '"red"')}" "{\"$rA\":1}")"
refused schema_unknown_field schema "$WORK/schema_unknown.json" v4
# A valid visit is stored (the schema check is not refusing everything).
body visit_ok.json "$(visit v5 skills-cooking)"
push "$tokA" "$rA" "$WORK/visit_ok.json"
expect_status 200
expect_body_contains '"id":"v5","ok":true'

# --- forged history: refused per record, the others applied ---------
# (the entry-level rules, forged_entry and dot_reused: test_forged.sh)
other=aa11bb22cc33dd44
forged_state=$(state notes v-forged "{\"note\":$(entry $other 5 $TS '"x"')}" "{\"$other\":5}")
body forged_new.json "$forged_state" "$ok_new"
refused forged_dot forged_dot "$WORK/forged_new.json" v-forged
expect_body_contains "aa11bb22cc33dd44"
expect_body_lacks '"record":'
body forged_third.json "$ok_new" "$ok_new2" "$forged_state"
refused forged_third forged_dot "$WORK/forged_third.json" v-forged
expect_body_contains '"id":"x4","ok":true'
body forged_hub.json "$(state notes x3 "{\"t\":$(entry "$hub_replica" 1 $TS 1)}" "{\"$hub_replica\":1}")"
refused forged_hub_replica forged_dot "$WORK/forged_hub.json" x3
# A real device's history beyond what the hub has seen, pushed by another:
# refused, and the record the hub holds is unchanged.
n1=$(dev a export | grep '"id":"n1"')
forged_n1=$(printf '%s' "$n1" | sed "s/\"vv\":{\"$rA\":1}/\"vv\":{\"$rA\":7}/")
body forged_existing.json "$forged_n1"
CASE=forged_other_device
snapshot
push "$tokC" "$rC" "$WORK/forged_existing.json"
expect_status 200
expect_body_contains '"error":{"code":"forged_dot","message":'
expect_unchanged
COUNT=$((COUNT + 1))
CASE=

big=$(head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' 'a')
body big.json "$(state notes big1 "{\"t\":$(entry "$rA" 1 $TS "\"$big\"")}" "{\"$rA\":1}")"
refused record_too_large too_large "$WORK/big.json" big1

echo "$COUNT bad requests refused as expected"
stop_hub
