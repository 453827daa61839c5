#!/usr/bin/env bash
# The generic record commands: put, get, rm, list (--where), and --json.
. "$(dirname "$0")/lib.sh"
fresh_store
replica=$(cat "$OUT")

# put prints the id; get prints the values, canonical (keys sorted).
expect_ok put notes a '{"title":"hello","n":3,"tags":["x","y"]}'
expect_stdout_is a
expect_ok get notes a
expect_stdout_is '{"n":3,"tags":["x","y"],"title":"hello"}'

# put sets the given fields and leaves the others.
expect_ok put notes a '{"n":4}'
expect_ok get notes a
expect_stdout_is '{"n":4,"tags":["x","y"],"title":"hello"}'

# Nested objects are canonical too; null is kept as a value.
expect_ok put notes b '{"meta":{"z":1,"a":{"d":2,"c":1}},"gone":null}'
expect_ok get notes b
expect_stdout_is '{"gone":null,"meta":{"a":{"c":1,"d":2},"z":1}}'

# - reads JSON_OBJECT from stdin; new makes a UUIDv7.
printf '{"title":"from stdin"}\n' >"$WORK/in.json"
sb_in "$WORK/in.json" put notes new -
check_ok put notes new -
new_id=$(cat "$OUT")
echo "$new_id" | grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' ||
  fail "new must make a UUIDv7, got $new_id"
expect_ok get notes "$new_id"
expect_stdout_is '{"title":"from stdin"}'

# get --json: the full state plus values and conflict, canonical.
expect_ok --json get notes a
expect_stdout_contains '{"collection":"notes","conflict":false,"deleted":false,"fields":{"n":[{"dot":["'"$replica"'",2],"ts":'
expect_stdout_contains '"id":"a","tombstones":[],"values":{"n":4,"tags":["x","y"],"title":"hello"},"vv":{"'"$replica"'":2}}'
grep -qE '"ts":[0-9]{16},' "$OUT" || fail "timestamps must print as integers"

# --json put prints collection and id.
expect_ok --json put notes c '{"n":1}'
expect_stdout_is '{"collection":"notes","id":"c"}'

# list: live records in id order, ID<TAB>values.
expect_ok list notes
expect_lines 4
[ "$(cut -f1 "$OUT" | tr '\n' ' ')" = "$new_id a b c " ] || fail "list order"
expect_stdout_contains "$(printf 'a\t{"n":4,"tags":["x","y"],"title":"hello"}')"
expect_ok --json list notes
expect_stdout_contains '{"conflict":false,"id":"a","values":{"n":4,"tags":["x","y"],"title":"hello"}}'
expect_lines 4
expect_ok list empty-collection
expect_lines 0

# --where: strings as strings, others as JSON, arrays by element, ANDed.
expect_ok put notes d '{"title":"3","n":3,"tags":["y"],"ok":true}'
expect_ok list notes --where n=4
expect_stdout_is "$(printf 'a\t{"n":4,"tags":["x","y"],"title":"hello"}')"
expect_ok list notes --where title=3
[ "$(cut -f1 "$OUT")" = d ] || fail "--where title=3 must match the string 3"
expect_ok list notes --where n=3
[ "$(cut -f1 "$OUT")" = d ] || fail "--where n=3 must match the number 3"
expect_ok list notes --where tags=y
[ "$(cut -f1 "$OUT" | tr '\n' ' ')" = "a d " ] || fail "--where on an array"
expect_ok list notes --where tags=y --where n=4
[ "$(cut -f1 "$OUT")" = a ] || fail "several --where are ANDed"
expect_ok list notes --where=ok=true
[ "$(cut -f1 "$OUT")" = d ] || fail "--where=FIELD=VALUE"
expect_ok list notes --where title=nothing
expect_lines 0
expect_ok list notes --where missing=1
expect_lines 0
expect_fail 2 list notes --where title
expect_stderr_contains 'bad --where "title"'
expect_fail 2 list notes --where '=x'
expect_fail 2 list notes --where 'bad field=x'
expect_fail 2 list notes --where
expect_stderr_contains "needs a value"
# On a collection of the schema, a field it lacks or a value the field
# could never hold is refused (as put refuses it), not a silent no match.
expect_ok beneficiary add --group anak --kecamatan Setu --consent no
expect_fail 4 list beneficiary --where bogus=1
expect_stderr_contains 'beneficiary has no field "bogus"'
expect_fail 4 list beneficiary --where consent=maybe
expect_stderr_contains '"maybe"'
expect_fail 4 list beneficiary --where kecamatan=Mars
expect_stderr_contains '"Mars"'
expect_fail 4 list beneficiary --where groups=xyz
expect_stderr_contains '"xyz"'
for w in consent=false kecamatan=Setu groups=anak; do
  expect_ok list beneficiary --where "$w"
  expect_lines 1
done

# rm: prints the id; then get is not found, list skips it, export keeps
# the tombstone.
expect_ok rm notes c
expect_stdout_is c
expect_fail 3 get notes c
expect_stderr_contains "not found: notes/c"
expect_ok list notes
# (by id column: a UUIDv7 id elsewhere in the list may end in "c")
if cut -f1 "$OUT" | grep -qx c; then fail "list shows the deleted c"; fi
expect_ok export
expect_stdout_contains '{"collection":"notes","deleted":true,"fields":{},"id":"c","tombstones":[{"dot":["'"$replica"'",2],"ts":'

# rm of an unknown or deleted record: not found, nothing changes.
expect_refused 3 "not found: notes/c" rm notes c
expect_refused 3 "not found: notes/zz" rm notes zz
expect_refused 3 "not found: notes/zz" get notes zz
expect_refused 3 "not found: other/a" get other a

# put after rm revives the record with the new fields only.
expect_ok put notes c '{"back":true}'
expect_ok get notes c
expect_stdout_is '{"back":true}'

# Bad names and ids: invalid input, naming them.
expect_refused 4 'invalid collection name "no tes"' put 'no tes' a '{"x":1}'
expect_refused 4 'invalid record id "a b"' put notes 'a b' '{"x":1}'
expect_refused 4 'bad field name "bad name"' put notes a '{"bad name":1}'
expect_refused 4 'invalid collection name' get 'x/y' a
expect_refused 4 'invalid record id' rm notes ''
long=$(printf 'i%.0s' $(seq 1 129))
expect_refused 4 "invalid record id" put notes "$long" '{"x":1}'

echo "ok"
