#!/usr/bin/env bash
# GET /v1/names (PROTOCOL.md, "Device names"): an enrolled device asks
# which devices write as the replicas it names and gets the names of
# those some device has used, nothing for the others; a request without a
# valid token, with a malformed or over-long list, another method or a
# body is refused with the JSON envelope and the right code.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
expect_hub_ok device add tab-a --scope all
TA=$(cat "$OUT")
expect_hub_ok device add tab.b_2 --scope Setu
TB=$(cat "$OUT")
expect_hub_ok device add never-used --scope all
RA=replicaA01
RB=replicaB-2_x
# names TOKEN REPLICA QUERY [CURL ARGS]: GET /v1/names?QUERY as that device.
names() {
  local token=$1 replica=$2 query=$3
  shift 3
  req GET "/v1/names?$query" -H "Authorization: Bearer $token" \
    -H "Sambang-Replica: $replica" "$@"
}

CASE="a device's first request binds its replica; it may ask its own name"
names "$TA" "$RA" "replicas=$RA"
expect_status 200
[ "$(cat "$BODY")" = '{"names":{"replicaA01":"tab-a"}}' ] ||
  fail "own name: $(cat "$BODY")"

CASE="names of the replicas devices use, none for the others"
pull "$TB" "$RB" "since=0" >/dev/null
expect_status 200
names "$TA" "$RA" "replicas=nobody01,$RB,$RA,$RB"
expect_status 200
[ "$(cat "$BODY")" = '{"names":{"replicaA01":"tab-a","replicaB-2_x":"tab.b_2"}}' ] ||
  fail "two names, in key order, no unknown one: $(cat "$BODY")"
names "$TB" "$RB" "replicas=nobody01"
expect_status 200
[ "$(cat "$BODY")" = '{"names":{}}' ] || fail "nobody's name: $(cat "$BODY")"

CASE="100 replicas are allowed, 101 are not"
list=$(seq -f 'r%03g' 1 100 | paste -sd, -)
names "$TA" "$RA" "replicas=$list"
expect_status 200
names "$TA" "$RA" "replicas=$list,r101"
expect_error 400 bad_query
expect_body_contains 'more than 100 replica ids'

CASE="malformed lists"
for q in "" "replicas=" "replicas=a%20b" "replicas=a,,b" "replicas=a," \
  "replicas=$(printf 'x%.0s' $(seq 33))"; do
  names "$TA" "$RA" "$q"
  expect_error 400 bad_query
done
names "$TA" "$RA" "replicas=a%20b"
expect_body_contains '\"a b\" is not a replica id'

CASE="no token, a wrong one, another device's replica"
req GET "/v1/names?replicas=$RA"
expect_error 401 unauthorized
names "$(printf '0%.0s' $(seq 64))" "$RA" "replicas=$RA"
expect_error 401 unauthorized
names "$TB" "$RA" "replicas=$RA"
expect_error 403 replica_mismatch
expect_body_lacks 'tab-a'

CASE="another method, a body"
names "$TA" "$RA" "replicas=$RA" -X POST --data 'x'
expect_error 405 method_not_allowed
expect_header 'Allow: GET'
names "$TA" "$RA" "replicas=$RA" --data-binary 'x' -X GET
expect_error 413 too_large

CASE="counted in the metrics as their own route"
metric 'sambang_hub_requests_total{route="names",status="200"}' >"$OUT"
[ "$(cat "$OUT")" -ge 4 ] || fail "names requests not counted: $(cat "$OUT")"

stop_hub
echo ok
