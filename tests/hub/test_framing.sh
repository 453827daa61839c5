#!/usr/bin/env bash
# Requests whose head is ambiguous or too big are refused before anything
# else, with the JSON envelope, and the store is unchanged: two
# Content-Length headers, Content-Length beside Transfer-Encoding, a
# transfer coding other than chunked (refused at once, not left hanging),
# a target or header fields over the hub's limits, a query parameter given
# twice or more than 64 of them, a field read as one value (Host,
# Authorization, Sambang-Replica...) given twice, a path with "%00" (not
# served as the path before it). A token bound to another replica is
# refused without naming any other device.
. "$(dirname "$0")/lib.sh"

"$HUB" init >/dev/null
tok=$("$HUB" device add dev-a --scope all)
tokC=$("$HUB" device add dev-c --scope all)
rA=$(dev_init a)
rC=$(dev_init c)
start_hub
port=${URL##*:}
pull "$tok" "$rA" 'since=0' # binds dev-a to rA
expect_status 200

# raw REQUEST: sends the bytes as they are over one connection; the reply
# (status line, headers, body) lands in $WORK/raw. The hub must answer
# and close within 10 s, whatever it thinks of the request.
raw() {
  exec 5<>"/dev/tcp/127.0.0.1/$port"
  # The hub may refuse and close before the whole request is written.
  (
    trap '' PIPE
    printf '%b' "$1" >&5
  ) 2>/dev/null || true
  timeout 10 cat <&5 >"$WORK/raw" || fail "no answer within 10 s to: $1"
  exec 5<&-
  STATUS=$(sed -n '1s/^HTTP\/1\.1 \([0-9]*\) .*/\1/p' "$WORK/raw")
  sed '1,/^\r$/d' "$WORK/raw" >"$BODY"
  sed -n '1,/^\r$/p' "$WORK/raw" | tr -d '\r' >"$HEADERS"
}

H="Host: x\r\nAuthorization: Bearer $tok\r\nSambang-Replica: $rA\r\n"
H="${H}Content-Type: application/json\r\n"
EMPTY='{"records":[]}'

CASE=two_lengths
snapshot
raw "POST /v1/push HTTP/1.1\r\n${H}Content-Length: 14\r\nContent-Length: 20\r\n\r\n$EMPTY"
expect_error 400 malformed
grep -q 'more than one Content-Length' "$BODY" || fail "message: $(cat "$BODY")"
expect_unchanged

CASE=length_and_chunked
raw "POST /v1/push HTTP/1.1\r\n${H}Content-Length: 14\r\nTransfer-Encoding: chunked\r\n\r\ne\r\n$EMPTY\r\n0\r\n\r\n"
expect_error 400 malformed
expect_unchanged

CASE=gzip_chunked
raw "POST /v1/push HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
expect_error 501 not_implemented
expect_unchanged

CASE=chunked_ok # plain chunked still works
raw "POST /v1/push HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\ne\r\n$EMPTY\r\n0\r\n\r\n"
expect_status 200

# A field read as one value, given twice: which one would a proxy in
# front have read? Refused, naming it, whatever the case of its name.
CASE=single_field_twice
for f in "Host: y" "authorization: Bearer $tokC" "Sambang-Replica: $rC" \
  "Content-Type: text/plain" "Content-Encoding: gzip" "Cookie: a=b" \
  "Sambang-Marks: pending=1 refused=0" "X-Forwarded-Proto: https" \
  "Sambang-Push-Chain: - 0123456789abcdef0123456789abcdef 0"; do
  extra="$f\r\n"
  case $f in Content-Encoding* | Cookie* | Sambang-Marks* | X-Forwarded-Proto* | Sambang-Push-Chain*) extra="$f\r\n$f\r\n" ;; esac
  raw "POST /v1/push HTTP/1.1\r\n${H}${extra}Content-Length: 14\r\n\r\n$EMPTY"
  expect_error 400 malformed
  grep -qi "header field ${f%%:*} is given more than once" "$BODY" || fail "$f: $(cat "$BODY")"
done
req POST /api/resolve -H 'X-CSRF-Token: a' -H 'X-CSRF-Token: b' --data '{}'
expect_error 400 malformed
grep -q 'X-CSRF-Token is given more than once' "$BODY" || fail "$(cat "$BODY")"
expect_unchanged
# List fields may come several times: X-Forwarded-For, Accept-Encoding.
pull "$tok" "$rA" 'since=0' -H 'X-Forwarded-For: 10.0.0.1' -H 'X-Forwarded-For: 10.0.0.2' \
  -H 'Accept-Encoding: identity' -H 'Accept-Encoding: gzip'
expect_status 200

# A push chain (PROTOCOL.md, "Push chain") not of the form: refused before
# the body is read, naming the header; the store unchanged.
CASE=bad_push_chain
dev a put beneficiary chain1 \
  '{"consent":true,"groups":["miskin"],"kecamatan":"Setu","name":"Ibu C"}' >/dev/null ||
  fail "put on a"
batch_of a >"$WORK/chain_batch.json"
for bad in '-' '- 0123456789ABCDEF0123456789abcdef 0' '0123456789abcdef0123456789abcdef' \
  '- 0123456789abcdef0123456789abcdef' '- 0123456789abcdef0123456789abcdef 01' \
  'x 0123456789abcdef0123456789abcdef 0' '- 0123456789abcdef0123456789abcdef 9007199254740993' \
  '0123456789abcdef0123456789abcdef 0123456789abcdef0123456789abcdef 0'; do
  push "$tok" "$rA" "$WORK/chain_batch.json" -H "Sambang-Push-Chain: $bad"
  expect_error 400 malformed
  grep -q 'Sambang-Push-Chain' "$BODY" || fail "chain \"$bad\": $(cat "$BODY")"
done
expect_unchanged
push "$tok" "$rA" "$WORK/chain_batch.json" \
  -H "Sambang-Push-Chain: - 0123456789abcdef0123456789abcdef 0"
expect_status 200
snapshot

CASE=long_target
long=$(head -c 9000 /dev/zero | tr '\0' 'a')
req GET "/v1/changes?since=$long" -H "Authorization: Bearer $tok" -H "Sambang-Replica: $rA"
expect_error 414 uri_too_long

# A query parameter given twice is ambiguous (which one would a proxy in
# front have read?): refused, naming it; so are more than 64 of them.
CASE=query_twice
for q in 'since=0&since=5' 'since=0&limit=10&limit=20' 'since=0&wait=0&wait=1'; do
  req GET "/v1/changes?$q" -H "Authorization: Bearer $tok" -H "Sambang-Replica: $rA"
  expect_error 400 malformed
  name=${q##*&}
  grep -qF "query parameter \\\"${name%%=*}\\\" is given twice" "$BODY" ||
    fail "$q: $(cat "$BODY")"
done
req GET '/api/records/visit?kecamatan=Setu&kecamatan=Serpong'
expect_error 400 malformed
CASE=query_many
req GET "/v1/changes?since=0&$(seq -s '&' -f 'k%g=1' 1 64)" \
  -H "Authorization: Bearer $tok" -H "Sambang-Replica: $rA"
expect_error 400 malformed
grep -q 'more than 64 query parameters' "$BODY" || fail "message: $(cat "$BODY")"
req GET "/v1/changes?since=0&$(seq -s '&' -f 'k%g=1' 1 63)" \
  -H "Authorization: Bearer $tok" -H "Sambang-Replica: $rA"
expect_status 200 # 64 in all, and names it does not read: served

CASE=big_headers
req GET /v1/health -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' 'a')"
expect_error 431 headers_too_large

CASE=nul_in_path
req GET '/v1/health%00x'
expect_error 404 not_found
req GET '/v1/changes%00x?since=0' -H "Authorization: Bearer $tok" -H "Sambang-Replica: $rA"
expect_error 404 not_found

# dev-c's token with dev-a's replica: refused, and the message names
# neither dev-a nor its replica's owner.
CASE=mismatch_names_nobody
req GET '/v1/changes?since=0' -H "Authorization: Bearer $tokC" -H "Sambang-Replica: $rA"
expect_error 403 replica_mismatch
if grep -q 'dev-a' "$BODY"; then
  fail "the refusal names another device: $(cat "$BODY")"
fi
grep -q 'dev-a' "$WORK/hub.log" || fail "the hub's log does not say which device"

CASE=
req GET /v1/health
expect_status 200
stop_hub
echo ok
