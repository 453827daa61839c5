#!/usr/bin/env bash
# Bad input is refused with the right exit code and a message naming it,
# and leaves the store byte-identical (export before == export after).
. "$(dirname "$0")/lib.sh"
fresh_store
expect_ok put notes a '{"x":1}'
expect_ok beneficiary add --name "Siti" --group perempuan --kecamatan Setu \
  --consent yes
siti=$(cat "$OUT")

# Invalid JSON.
expect_refused 4 "JSON_OBJECT is not valid JSON" put notes a '{"x":'
expect_refused 4 "JSON_OBJECT is not valid JSON" put notes a '{"x":1} trailing'
expect_refused 4 "duplicate key" put notes a '{"x":1,"x":2}'
expect_refused 4 "JSON_VALUE is not valid JSON" resolve notes a x '{'

# Values cJSON would change silently (issue 9): refused, exit 4, naming the
# hazard, store unchanged; in put, resolve, import and on stdin.
expect_refused 4 'JSON_OBJECT has a string with a NUL character (\u0000) in "a"' \
  put notes x '{"a":"a\u0000b"}'
expect_refused 4 'JSON_OBJECT has a key with a NUL character' \
  put notes x '{"a\u0000":1}'
expect_refused 4 'JSON_OBJECT has a number too large for a double in "a": 1e999' \
  put notes x '{"a":1e999}'
expect_refused 4 'a number too large for a double in "a": -1e400' \
  put notes x '{"a":-1e400}'
expect_refused 4 'a number too small for a double in "a": 1e-400' \
  put notes x '{"a":1e-400}'
expect_refused 4 \
  'JSON_OBJECT has an integer beyond +-2^53 (not exact) in "a": 9007199254740993' \
  put notes x '{"a":9007199254740993}'
expect_refused 4 'beyond +-2^53' put notes a '{"x":[1,-9007199254740993]}'
expect_refused 4 'JSON_VALUE has a string with a NUL character' \
  resolve notes a x '"\u0000"'
printf '{"a":1e999}' >"$WORK/inf.json"
expect_refused_in "$WORK/inf.json" 4 "too large for a double" put notes x -
printf '{"collection":"notes","id":"u","fields":{"x":"a\\u0000"}}\n' \
  >"$WORK/nul.jsonl"
expect_refused 4 "line 1: the line has a string with a NUL character" import \
  "$WORK/nul.jsonl"
# Over 10,000 elements in one array of a value.
awk 'BEGIN { printf "{\"a\":[0"; for (i = 1; i <= 10000; i++) printf ",0"; printf "]}" }' \
  >"$WORK/wide.json"
expect_refused_in "$WORK/wide.json" 4 "array of more than 10000 elements" \
  put notes x -
# The limits themselves are kept exactly.
expect_ok put notes lim \
  '{"a":9007199254740992,"b":-9007199254740992,"c":1e308,"d":"a\u0001b"}'
expect_ok get notes lim
expect_stdout_contains '9007199254740992'
expect_stdout_contains '-9007199254740992'
expect_stdout_contains '1e+308'
expect_ok export
expect_stdout_contains '"value":"a\u0001b"'

# A JSON value that is not an object, or an empty one.
expect_refused 4 "JSON_OBJECT must be a JSON object, got array" \
  put notes a '[1,2]'
expect_refused 4 "JSON_OBJECT must be a JSON object, got string" \
  put notes a '"x"'
expect_refused 4 "JSON_OBJECT must set at least one field" put notes a '{}'

# Invalid UTF-8: in an argument, on stdin, in an import line.
expect_refused 4 "JSON_OBJECT is not valid UTF-8" \
  put notes a "$(printf '{"x":"\xff"}')"
printf '{"x":"\xc3\x28"}' >"$WORK/bad-utf8.json"
expect_refused_in "$WORK/bad-utf8.json" 4 "not valid UTF-8" put notes a -
printf '{"collection":"notes","id":"u","fields":{"x":"\xed\xa0\x80"}}\n' \
  >"$WORK/bad-utf8.jsonl"
expect_refused 4 "line 1: the line is not valid UTF-8" import \
  "$WORK/bad-utf8.jsonl"
expect_refused 4 "option --kelurahan: the value is not valid UTF-8" \
  beneficiary edit "$siti" --kelurahan "$(printf 'a\xffb')"

# A record over 1 MiB: the input, an import line, a record that grows.
head -c 1100000 /dev/zero | tr '\0' a | sed 's/^/{"x":"/; s/$/"}/' \
  >"$WORK/big.json"
expect_refused_in "$WORK/big.json" 4 "too large" put notes big -
sed 's/^/{"collection":"notes","id":"big","fields":/; s/$/}/' "$WORK/big.json" \
  >"$WORK/big.jsonl"
expect_refused 4 "line 1: the line is too large" import "$WORK/big.jsonl"
head -c 600000 /dev/zero | tr '\0' b | sed 's/^/{"y":"/; s/$/"}/' \
  >"$WORK/half.json"
sb_in "$WORK/half.json" put notes grow -
check_ok put notes grow -
sed 's/"y"/"z"/' "$WORK/half.json" >"$WORK/half2.json"
expect_refused_in "$WORK/half2.json" 4 \
  "record notes/grow is too large" put notes grow -

# Unknown collection or field for the domain commands.
expect_refused 2 'unknown command "person"' person add --name x
expect_refused 2 "unknown option --age for beneficiary add (valid: --name," \
  beneficiary add --age 3 --group anak --kecamatan Setu --consent yes
expect_refused 2 "unknown option --age for beneficiary edit" \
  beneficiary edit "$siti" --age 3
expect_refused 2 "unknown option --bogus for visit list" visit list --bogus 1
expect_refused 4 'unknown field "age" in collection beneficiary' \
  put beneficiary "$siti" '{"age":3}'

# A value outside an enum (and enum_list), also through put and import.
expect_refused 4 'option --kecamatan: "Jakarta" is not allowed (allowed: Serpong' \
  beneficiary add --group anak --kecamatan Jakarta --consent yes
expect_refused 4 'option --group: "bapak" is not allowed' \
  beneficiary add --group anak,bapak --kecamatan Setu --consent yes
expect_refused 4 'field "kecamatan": "Jakarta" is not allowed' \
  put beneficiary "$siti" '{"kecamatan":"Jakarta"}'
expect_refused 4 'field "groups": "anak" is listed twice' \
  beneficiary edit "$siti" --group anak --group anak
printf '%s\n' '{"collection":"notes","id":"ok1","fields":{"x":1}}' \
  "{\"collection\":\"visit\",\"id\":\"v1\",\"fields\":{\"beneficiary\":\"$siti\",\"date\":\"2026-01-02\",\"programme\":\"cooking\"}}" \
  >"$WORK/bad-enum.jsonl"
expect_refused 4 'line 2: field "programme": "cooking" is not allowed' \
  import "$WORK/bad-enum.jsonl"

# A missing required field (add, put of a new record, clearing one).
expect_refused 4 'beneficiary add: give --kecamatan (required; see sambang beneficiary --help)' \
  beneficiary add --group anak --consent yes
expect_refused 4 'beneficiary add: give --group, --kecamatan, --consent (required' \
  beneficiary add --name Budi
expect_refused 4 'visit add: give --programme (required' \
  visit add --beneficiary "$siti" --date 2025-01-02
expect_refused 4 'missing required field "groups" in beneficiary' \
  put beneficiary new '{"kecamatan":"Setu","consent":true}'
expect_refused 4 'field "kecamatan" is required in beneficiary: it cannot be cleared' \
  put beneficiary "$siti" '{"kecamatan":null}'

# Personal details without consent true.
# Through add and edit, worded in their options; through put, in fields.
expect_refused 4 "personal details (--name) need --consent yes: give it if the person agreed, or leave them out" \
  beneficiary add --name Budi --group anak --kecamatan Setu --consent no
expect_refused 4 "personal details (--name, --contact) cannot be stored with --consent no (give --consent yes if the person agreed" \
  beneficiary edit "$siti" --consent no --contact 0812 --name Siti
expect_refused 4 "consent required before personal details (name) are stored: set consent to true" \
  put beneficiary new '{"name":"Budi","groups":["anak"],"kecamatan":"Setu","consent":false}'
expect_refused 4 "personal details (contact) cannot be stored; set consent to true in the same write" \
  put beneficiary "$siti" '{"consent":false,"contact":"0812"}'
# An edit without --consent: the record's own consent decides.
expect_ok beneficiary add --group anak --kecamatan Setu --consent no
budi=$(cat "$OUT")
expect_refused 4 "beneficiary $budi has no consent: personal details (--contact) need --consent yes in the same edit (give it if the person agreed)" \
  beneficiary edit "$budi" --contact 0812
expect_ok beneficiary edit "$budi" --contact 0812 --consent yes
expect_ok beneficiary edit "$budi" --name Budi

# An unparseable date.
expect_refused 4 'option --date: expected a date YYYY-MM-DD or DD/MM/YYYY (or today, yesterday, hari ini, kemarin), got "2026-02-30"' \
  visit add --beneficiary "$siti" --date 2026-02-30 --programme skills-cooking
expect_refused 4 'option --follow-up: expected a date YYYY-MM-DD or DD/MM/YYYY (or today, yesterday, hari ini, kemarin), got "tomorrow"' \
  visit add --beneficiary "$siti" --programme skills-cooking --follow-up tomorrow
expect_refused 4 'field "date": expected a date YYYY-MM-DD, got "2026-1-5"' \
  put visit new "{\"beneficiary\":\"$siti\",\"date\":\"2026-1-5\",\"programme\":\"skills-cooking\"}"

# Other bad option values.
expect_refused 4 'option --consent: expected yes or no' \
  beneficiary edit "$siti" --consent maybe
expect_refused 2 "option --kecamatan is given twice" \
  beneficiary edit "$siti" --kecamatan Setu --kecamatan Ciputat
expect_refused 2 "option --name needs a value" beneficiary edit "$siti" --name
expect_refused 2 'unexpected argument "stray"' beneficiary add stray
expect_refused 2 "beneficiary edit needs the options to change" \
  beneficiary edit "$siti"
expect_refused 3 "not found: beneficiary/nobody" \
  beneficiary edit nobody --kelurahan x
expect_refused 3 "not found: notes/nobody" resolve notes nobody x 1
expect_refused 4 'invalid field name "bad field"' resolve notes a 'bad field' 1

# A line of import without its fields; extra words; a token command
# without its source.
printf '{"collection":"notes","id":"x"}\n' >"$WORK/nofields.jsonl"
expect_refused 4 'line 1: "fields" is missing (each line is {"collection": C, "id": ID or "new", "fields": {...}})' \
  import "$WORK/nofields.jsonl"
expect_refused 2 'list takes one COLLECTION (see sambang list --help)' list notes extra
expect_refused 2 'unknown option --frob for beneficiary' beneficiary --frob
expect_refused 2 'token: give set --file F, or set - to read standard input' token --from-file

# A bad id or option is named with what a terminal would hide or act on
# escaped: a right-to-left override (U+202E) that would show the text
# reversed, a raw escape byte, a quote.
expect_refused 4 'invalid record id "ab\u202ecd" (use' get notes $'ab\u202ecd'
expect_refused 4 'invalid collection name "x\x1b[2Jy" (use' get $'x\e[2Jy' a
expect_refused 2 'unknown option --a\x22b\u2066 for beneficiary add' \
  beneficiary add $'--a"b\u2066=x'
expect_refused 2 'unexpected argument "x\x1b[2J" for beneficiary add' \
  beneficiary add $'x\e[2J'
expect_refused 2 'unknown option --q\u202e (see sambang --help)' $'--q\u202e'

echo "ok"
