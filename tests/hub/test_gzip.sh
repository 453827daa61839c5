#!/usr/bin/env bash
# Gzip both ways: a gzip'd push is read like a plain one; replies worth
# compressing come back gzip'd to clients that accept it, and only then.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok=$("$HUB" device add dev-a --scope all)
r=$(dev_init a)
for i in $(seq 1 40); do
  printf '{"collection":"notes","fields":{"text":"a fairly repetitive note number %d"},"id":"n%d"}\n' "$i" "$i"
done >"$WORK/notes.jsonl"
dev a import "$WORK/notes.jsonl" >/dev/null
batch_of a >"$WORK/batch.json"
gzip -c "$WORK/batch.json" >"$WORK/batch.json.gz"
[ "$(wc -c <"$WORK/batch.json.gz")" -lt "$(wc -c <"$WORK/batch.json")" ] ||
  fail "the test batch must compress"
start_hub

# A gzip'd push: every record ok.
push "$tok" "$r" "$WORK/batch.json.gz" -H 'Content-Encoding: gzip'
expect_status 200
[ "$(grep -o '"ok":true' "$BODY" | wc -l)" -eq 40 ] || fail "40 records ok"
cp "$BODY" "$WORK/reply.plain" # curl did not ask for gzip: plain reply
if grep -qi '^Content-Encoding:' "$HEADERS"; then
  fail "no gzip unless asked"
fi
hub_export | LC_ALL=C sort >"$WORK/hub"
dev a export | LC_ALL=C sort >"$WORK/dev"
cmp -s "$WORK/hub" "$WORK/dev" || fail "the gzip'd push must store the batch"

# The same push, plain, asking for gzip: a gzip'd reply of the same bytes.
push "$tok" "$r" "$WORK/batch.json" -H 'Accept-Encoding: gzip'
expect_status 200
expect_header 'Content-Encoding: gzip'
expect_header 'Vary: Accept-Encoding'
gzip -dc "$BODY" >"$WORK/reply.inflated" || fail "the reply must be gzip data"
cmp -s "$WORK/reply.inflated" "$WORK/reply.plain" || fail "gzip'd reply differs"

# A change feed page, gzip'd, inflates to the plain page.
pull "$tok" "$r" 'since=0'
cp "$BODY" "$WORK/page.plain"
pull "$tok" "$r" 'since=0' -H 'Accept-Encoding: deflate, gzip;q=0.5'
expect_header 'Content-Encoding: gzip'
gzip -dc "$BODY" | cmp -s - "$WORK/page.plain" || fail "gzip'd page differs"

# gzip refused by q=0, or not offered: plain.
pull "$tok" "$r" 'since=0' -H 'Accept-Encoding: gzip;q=0, identity'
if grep -qi '^Content-Encoding:' "$HEADERS"; then fail "q=0 refuses gzip"; fi
cmp -s "$BODY" "$WORK/page.plain" || fail "plain page differs"
pull "$tok" "$r" 'since=0' -H 'Accept-Encoding: br'
if grep -qi '^Content-Encoding:' "$HEADERS"; then fail "br only: plain"; fi

# Small replies are not worth compressing.
pull "$tok" "$r" 'since=40' -H 'Accept-Encoding: gzip'
if grep -qi '^Content-Encoding:' "$HEADERS"; then fail "small reply gzip'd"; fi
[ "$(cat "$BODY")" = '{"changes":[],"last":40,"more":false,"next":40,"scope":"all"}' ] || fail "empty page"

# A gzip body of several members is one body (RFC 1952).
dev a put notes n41 '{"text":"last"}' >/dev/null
batch_of a >"$WORK/batch2.json"
half=$(($(wc -c <"$WORK/batch2.json") / 2))
{
  head -c "$half" "$WORK/batch2.json" | gzip -c
  tail -c +$((half + 1)) "$WORK/batch2.json" | gzip -c
} >"$WORK/multi.gz"
push "$tok" "$r" "$WORK/multi.gz" -H 'Content-Encoding: gzip'
expect_status 200
expect_body_contains '"id":"n41","ok":true,"seq":41}'

stop_hub
