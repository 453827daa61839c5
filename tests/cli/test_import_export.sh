#!/usr/bin/env bash
# import (JSON Lines, all or nothing) and export (sorted, tombstones, stable).
. "$(dirname "$0")/lib.sh"
fresh_store
replica=$(cat "$OUT")

# Happy path: ids given or new, blank lines skipped, the schema applied.
expect_ok beneficiary add --group anak --kecamatan Setu --consent no
ben=$(cat "$OUT")
cat >"$WORK/ok.jsonl" <<EOF
{"collection":"notes","id":"n2","fields":{"text":"second"}}

{"collection":"notes","id":"n1","fields":{"text":"first","n":1}}
   
{"fields":{"date":"2026-03-01","programme":"Skills-Cooking","beneficiary":"$ben"},"id":"new","collection":"visit"}
{"collection":"notes","id":"n1","fields":{"n":2}}
EOF
expect_ok import "$WORK/ok.jsonl"
expect_stdout_is "imported 4 records"
expect_ok get notes n1
expect_stdout_is '{"n":2,"text":"first"}'
expect_ok list visit
expect_lines 1
expect_stdout_contains '"programme":"skills-cooking"'

# From standard input; --json.
printf '{"collection":"notes","id":"n3","fields":{"text":"third"}}\n' \
  >"$WORK/one.jsonl"
sb_in "$WORK/one.jsonl" --json import -
check_ok import -
expect_stdout_is '{"imported":1,"unchanged":0}'

# The same line again changes nothing, and the count says so.
expect_ok import "$WORK/one.jsonl"
expect_stdout_is "imported 0 records, 1 unchanged (already held)"
sb_in "$WORK/one.jsonl" --json import -
check_ok import -
expect_stdout_is '{"imported":0,"unchanged":1}'

# A byte order mark at the start of the file (Windows editors, spreadsheets
# save one) and CRLF line ends are read as the same lines; a BOM anywhere
# else is not whitespace.
printf '\xef\xbb\xbf{"collection":"notes","id":"b1","fields":{"text":"bom"}}\r\n{"collection":"notes","id":"b2","fields":{"text":"crlf"}}\r\n' \
  >"$WORK/bom.jsonl"
expect_ok import "$WORK/bom.jsonl"
expect_stdout_is "imported 2 records"
expect_ok get notes b1
expect_stdout_is '{"text":"bom"}'
printf '{"collection":"notes","id":"b3","fields":{"text":"x"}}\n\xef\xbb\xbf{"collection":"notes","id":"b4","fields":{"text":"y"}}\n' \
  >"$WORK/bom2.jsonl"
expect_refused 4 "line 2: the line is not valid JSON" import "$WORK/bom2.jsonl"
expect_fail 3 get notes b3

# An empty file imports nothing.
: >"$WORK/empty.jsonl"
expect_ok import "$WORK/empty.jsonl"
expect_stdout_is "imported 0 records"

# A bad line: its number and what is wrong; nothing of the file is written.
bad_at_3() {
  {
    echo '{"collection":"notes","id":"x1","fields":{"text":"would be new"}}'
    echo '{"collection":"notes","id":"n1","fields":{"text":"would change"}}'
    echo "$1"
    echo '{"collection":"notes","id":"x2","fields":{"text":"after"}}'
  } >"$WORK/bad.jsonl"
}
bad_at_3 '{"collection":"notes","id":"x3","fields":{"text":'
expect_refused 4 "line 3: the line is not valid JSON" import "$WORK/bad.jsonl"
bad_at_3 '["collection","notes"]'
expect_refused 4 "line 3: expected a JSON object" import "$WORK/bad.jsonl"
bad_at_3 '{"id":"x3","fields":{"a":1}}'
expect_refused 4 'line 3: "collection" is missing' import "$WORK/bad.jsonl"
bad_at_3 '{"collection":"notes","id":7,"fields":{"a":1}}'
expect_refused 4 'line 3: "id" must be a string, got number' import "$WORK/bad.jsonl"
bad_at_3 '{"collection":"notes","id":"x3","fields":[1]}'
expect_refused 4 'line 3: "fields" must be a JSON object, got array' \
  import "$WORK/bad.jsonl"
bad_at_3 '{"collection":"notes","id":"x3","fields":{}}'
expect_refused 4 'line 3: "fields" must set at least one field' \
  import "$WORK/bad.jsonl"
bad_at_3 '{"collection":"notes","id":"x3","fields":{"a":1},"extra":1}'
expect_refused 4 'line 3: unknown key "extra"' import "$WORK/bad.jsonl"
bad_at_3 '{"collection":"bad name","id":"x3","fields":{"a":1}}'
expect_refused 4 'line 3: invalid collection name "bad name"' \
  import "$WORK/bad.jsonl"
bad_at_3 '{"collection":"beneficiary","id":"x3","fields":{"kecamatan":"Setu"}}'
expect_refused 4 'line 3: missing required field "groups" in beneficiary' \
  import "$WORK/bad.jsonl"
expect_refused 3 "cannot open $WORK/none.jsonl" import "$WORK/none.jsonl"
expect_refused 2 "import takes FILE" import
expect_fail 3 get notes x1

# export: one line per record, (collection, id) order, tombstones included.
expect_ok rm notes n2
expect_ok put a-first z '{"v":1}'
expect_ok export
cp "$OUT" "$WORK/export1"
[ "$(wc -l <"$WORK/export1")" -eq 8 ] || fail "export must hold every record"
sed -E 's/^\{"collection":"([^"]*)",.*"id":"([^"]*)","tombstones".*/\1 \2/' \
  "$WORK/export1" >"$WORK/keys"
LC_ALL=C sort -c "$WORK/keys" || fail "export must be in (collection, id) order"
head -n 1 "$WORK/keys" | grep -qx "a-first z" || fail "a-first comes first"
grep -q '^{"collection":"notes","deleted":true,"fields":{},"id":"n2","tombstones":\[{"dot":\["'"$replica"'",2\],"ts":[0-9]*}\],"vv":{"'"$replica"'":2}}$' \
  "$WORK/export1" || fail "export must keep the tombstone of notes/n2"

# Stable: the same bytes every time, and reads change nothing.
expect_ok list notes
expect_ok status
expect_ok conflicts
expect_ok export
cmp -s "$OUT" "$WORK/export1" || fail "export must be stable"

# The export is exactly the records' canonical state: importing nothing,
# failing, or reading leaves it alone, and each line is one JSON object.
while IFS= read -r line; do
  case $line in
  '{"collection":"'*'"vv":{'*'}}') ;;
  *) fail "not a record state: $line" ;;
  esac
done <"$WORK/export1"

echo "ok"
