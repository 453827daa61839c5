#!/usr/bin/env bash
# The domain commands made from the schema: beneficiary and visit
# add, list, show, edit.
. "$(dirname "$0")/lib.sh"
fresh_store
uuid7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# add prints a new UUIDv7; options follow the schema (repeatable and
# comma lists for enum_list, yes/ya for bool, enums matched ignoring case).
expect_ok beneficiary add --name "Siti Aminah" --group perempuan \
  --group miskin --kecamatan pamulang --kelurahan "Pamulang Barat" \
  --contact 0812-0000-1111 --consent ya
siti=$(cat "$OUT")
echo "$siti" | grep -qE "$uuid7" || fail "add must print a UUIDv7"
expect_ok get beneficiary "$siti"
expect_stdout_is '{"consent":true,"contact":"0812-0000-1111","groups":["perempuan","miskin"],"kecamatan":"Pamulang","kelurahan":"Pamulang Barat","name":"Siti Aminah"}'
expect_ok beneficiary add --name Budi --group anak,disabilitas \
  --kecamatan "Pondok Aren" --consent yes
budi=$(cat "$OUT")
expect_ok beneficiary add --group=anak --kecamatan=Setu --consent=no
anon=$(cat "$OUT")

# visit add: --date defaults to today's local date.
expect_ok visit add --beneficiary "$siti" --programme women-food-business \
  --outcome "started keripik stall" --follow-up 2026-12-20 --willing yes
v1=$(cat "$OUT")
expect_ok get visit "$v1"
expect_stdout_contains "\"date\":\"$(date +%Y-%m-%d)\""
expect_ok visit add --beneficiary "$budi" --date 2025-11-21 \
  --programme child-education --willing no
v2=$(cat "$OUT")

# list: an aligned table with a header, full ids; filters from options.
expect_ok beneficiary list
head -n 1 "$OUT" | grep -qE '^id +name +groups +kecamatan +kelurahan +contact +consent$' ||
  fail "beneficiary list header"
expect_lines 4
expect_stdout_contains "$siti  Siti Aminah"
# enum values show as the schema's labels of the language (English here)
expect_stdout_contains "Women, Below the poverty line"
expect_ok beneficiary list --group anak
expect_lines 3
expect_stdout_lacks "$siti"
expect_ok beneficiary list --group anak --group disabilitas
expect_lines 2
expect_stdout_contains "$budi"
expect_ok beneficiary list --kecamatan setu
expect_lines 2
expect_stdout_contains "$anon"
expect_ok beneficiary list --consent no --kecamatan Setu
expect_lines 2
expect_ok beneficiary list --kecamatan Ciputat
expect_lines 1
expect_ok visit list --programme women-food-business
expect_lines 2
expect_stdout_contains "$v1"
expect_stdout_contains "$siti"
expect_ok visit list --willing no
expect_stdout_contains "$v2"
expect_stdout_lacks "$v1"
# An enum by its label, in any language of the schema, case and accents
# ignored (enum_label.c): the value is stored, and filters take labels too.
expect_ok visit add --beneficiary "$budi" --date 2025-11-22 \
  --programme "PENDIDIKAN ANAK" --willing no
v3=$(cat "$OUT")
expect_ok get visit "$v3"
expect_stdout_contains '"programme":"child-education"'
expect_ok visit list --programme "Education for children"
expect_stdout_contains "$v2"
expect_stdout_contains "$v3"
expect_stdout_lacks "$v1"
expect_ok visit list --group "women" # a referenced record's enum_list
expect_stdout_contains "$v1"
expect_stdout_lacks "$v3"
expect_ok beneficiary add --group "Anak, Penyandang Disabilitas" \
  --kecamatan Setu --consent no
expect_ok get beneficiary "$(cat "$OUT")"
expect_stdout_contains '"groups":["anak","disabilitas"]'
# A word that is no value and no whole label is refused, naming the values
# with their labels in the user's language.
expect_refused 4 '"pendidikan" is not allowed (allowed: skills-handicraft (Skills training: handicraft), skills-cooking' \
  visit add --beneficiary "$budi" --programme pendidikan
LANG=id_ID.UTF-8 expect_refused 4 'child-education (Pendidikan anak), women-food-business' \
  visit add --beneficiary "$budi" --programme pendidikan
# (a long word cut as every refusal of the schema shows one: 60 bytes, "...")
expect_refused 4 'option --group: "x'"$(printf 'é%.0s' $(seq 29))"'... is not allowed (allowed: perempuan (Women)' \
  beneficiary add --group "anak,x$(printf 'é%.0s' $(seq 40))" --kecamatan Setu --consent no
expect_refused 4 'option --programme: "nope" is not allowed' visit list --programme nope
expect_refused 4 'option --group: "disabilitas" is listed twice' \
  beneficiary add --group "disabilitas,People with disabilities" \
  --kecamatan Setu --consent no
expect_ok visit rm "$v3"
expect_ok --json visit list --beneficiary "$budi"
expect_stdout_is "{\"conflict\":false,\"id\":\"$v2\",\"values\":{\"beneficiary\":\"$budi\",\"date\":\"2025-11-21\",\"programme\":\"child-education\",\"willing\":false}}"

# show: field: value lines in schema order; --json is get --json.
expect_ok beneficiary show "$siti"
cat >"$WORK/expected" <<EOF
id: $siti
name: Siti Aminah
groups: Women, Below the poverty line
kecamatan: Pamulang
kelurahan: Pamulang Barat
contact: 0812-0000-1111
consent: yes
EOF
cmp -s "$OUT" "$WORK/expected" || fail "beneficiary show"
expect_ok --json beneficiary show "$siti"
cp "$OUT" "$WORK/show.json"
expect_ok --json get beneficiary "$siti"
cmp -s "$OUT" "$WORK/show.json" || fail "show --json must be get --json"
expect_fail 3 beneficiary show nobody
expect_stderr_contains "not found: beneficiary/nobody"
expect_fail 2 beneficiary show
expect_stderr_contains "beneficiary show takes the ID"
expect_fail 2 beneficiary show "$siti" extra

# Control characters in values are shown escaped, never raw.
expect_ok put notes ctl '{"text":"line1\nline2\u001b[31m"}'
expect_ok beneficiary edit "$siti" --kelurahan "$(printf 'a\tb')"
expect_ok beneficiary show "$siti"
expect_stdout_contains 'kelurahan: a\tb'
# A line break or an escape sequence would break the listing or drive the
# terminal: escaped.
expect_ok beneficiary edit "$siti" --kelurahan "$(printf 'a\nb\033[31mc')"
expect_ok beneficiary show "$siti"
expect_stdout_contains 'kelurahan: a\nb\x1b[31mc'
LC_ALL=C grep -q "$(printf '\033')" "$OUT" && fail "show printed a raw escape"
# A right-to-left override or a C1 control (CSI) would reorder or drive
# what the terminal shows: escaped too, in show and in list's JSON.
expect_ok beneficiary edit "$siti" --kelurahan "$(printf 'x\u202egnp.exe\xc2\x9b31m')"
expect_ok beneficiary show "$siti"
expect_stdout_contains 'kelurahan: x\u202egnp.exe\u009b31m'
expect_ok list beneficiary
expect_stdout_contains '"kelurahan":"x\u202egnp.exe\u009b31m"'
LC_ALL=C grep -q "$(printf '\xe2\x80\xae')\|$(printf '\xc2\x9b')" "$OUT" &&
  fail "list printed a raw override or C1 control"

# edit: changes the options given, keeps the rest; prints the id.
expect_ok beneficiary edit "$siti" --kelurahan Benda --group perempuan
expect_stdout_is "$siti"
expect_ok get beneficiary "$siti"
expect_stdout_is '{"consent":true,"contact":"0812-0000-1111","groups":["perempuan"],"kecamatan":"Pamulang","kelurahan":"Benda","name":"Siti Aminah"}'
expect_ok visit edit "$v1" --outcome "two stalls now"
expect_ok visit show "$v1"
expect_stdout_contains "outcome: two stalls now"

# An empty value clears an optional field (add leaves it out); a required
# one is refused, naming the option, and nothing changes.
expect_ok beneficiary edit "$siti" --contact "" --kelurahan ""
expect_ok beneficiary show "$siti"
expect_stdout_lacks "0812-0000-1111"
expect_stdout_lacks "Benda"
expect_ok get beneficiary "$siti"
expect_stdout_is '{"consent":true,"contact":null,"groups":["perempuan"],"kecamatan":"Pamulang","kelurahan":null,"name":"Siti Aminah"}'
expect_refused 4 'beneficiary edit: --group, --kecamatan cannot be cleared (required' \
  beneficiary edit "$siti" --kecamatan "" --group ""
expect_refused 2 'option --group is given twice' \
  beneficiary edit "$siti" --group "" --group anak
expect_ok visit add --beneficiary "$siti" --date 2026-01-03 --programme skills-cooking --notes ""
v3=$(cat "$OUT")
expect_ok get visit "$v3"
expect_stdout_lacks notes
expect_refused 4 'visit add: give --programme (required' \
  visit add --beneficiary "$siti" --programme ""
expect_ok beneficiary edit "$siti" --contact 0812-0000-1111 --kelurahan Benda

# A deleted record cannot be edited or shown.
expect_ok rm beneficiary "$anon"
expect_refused 3 "not found: beneficiary/$anon" beneficiary edit "$anon" \
  --kelurahan x
expect_refused 3 "not found: beneficiary/$anon" beneficiary show "$anon"
expect_ok beneficiary list
expect_stdout_lacks "$anon"

# The generic commands are never shadowed by a schema collection.
expect_fail 2 beneficiary
expect_stderr_contains "beneficiary needs a command: add, list, show, edit or rm"
expect_fail 2 beneficiary remove "$siti"
expect_stderr_contains "unknown command beneficiary remove"

echo "ok"
