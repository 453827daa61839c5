#!/usr/bin/env bash
# Issue 15 (CLI): `COLLECTION rm ID`, list filters by substring ignoring
# case and accents, --month YYYY-MM (collections with a date field),
# --limit N; bad values refused with nothing changed.
. "$(dirname "$0")/lib.sh"
fresh_store
expect_ok beneficiary add --name "Sîti Aminah" --group anak --kecamatan Setu \
  --consent yes
siti=$(cat "$OUT")
expect_ok beneficiary add --name "Budi Santoso" --group miskin \
  --kecamatan Pamulang --consent yes
budi=$(cat "$OUT")
expect_ok beneficiary add --name "Ani" --group anak,perempuan \
  --kecamatan Setu --consent yes
ani=$(cat "$OUT")
expect_ok visit add --beneficiary "$siti" --date 2025-11-03 --programme skills-cooking
v1=$(cat "$OUT")
expect_ok visit add --beneficiary "$budi" --date 2025-12-01 --programme child-education
v2=$(cat "$OUT")
expect_ok visit add --beneficiary "$ani" --date 2025-11-30 --programme child-education
v3=$(cat "$OUT")

# --name: part of the name, any case, accents ignored.
for q in siti SITI "sîti" "aminah" "ti am"; do
  expect_ok beneficiary list --name "$q" --json
  expect_lines 1
  expect_stdout_contains "\"id\":\"$siti\""
done
expect_ok beneficiary list --name "an" --json
expect_lines 2 # Santoso, Ani
expect_ok beneficiary list --name nobody --json
expect_lines 0
# Enum and list options still match equal values; filters add up.
expect_ok beneficiary list --kecamatan setu --json
expect_lines 2
expect_ok beneficiary list --kecamatan Setu --group perempuan --json
expect_lines 1
expect_stdout_contains "\"id\":\"$ani\""
expect_ok visit list --programme child-education --json
expect_lines 2

# --month: the visits of a month.
expect_ok visit list --month 2025-11 --json
expect_lines 2
expect_stdout_contains "\"id\":\"$v1\""
expect_stdout_contains "\"id\":\"$v3\""
expect_ok visit list --month=2025-12 --programme child-education --json
expect_lines 1
expect_stdout_contains "\"id\":\"$v2\""
expect_ok visit list --month 2024-01 --json
expect_lines 0
expect_fail 2 visit list --month 2025-13
expect_stderr_contains "--month takes YYYY-MM"
expect_fail 2 visit list --month 2025-1
expect_fail 2 visit list --month
expect_stderr_contains "option --month needs a value"
expect_fail 2 beneficiary list --month 2025-11
expect_stderr_contains "--month: beneficiary records have no date field"

# --limit: the first N, and a note on a terminal-less table too.
expect_ok beneficiary list --limit 2 --json
expect_lines 2
expect_ok beneficiary list --limit 2
expect_lines 4 # header, 2 rows, the note
expect_stdout_contains "(first 2 shown: more match; raise --limit)"
expect_ok beneficiary list --limit 3
expect_stdout_lacks "more match"
expect_fail 2 beneficiary list --limit 0
expect_stderr_contains "--limit takes a number"
expect_fail 2 beneficiary list --limit x

# rm: deletes, prints the id; again or unknown: not found, nothing changed.
expect_ok visit rm "$v2"
expect_stdout_is "$v2"
expect_ok visit list --json
expect_lines 2
expect_stdout_lacks "$v2"
expect_ok export
grep -q "\"id\":\"$v2\"" "$OUT" || fail "the deleted visit is not exported"
grep "\"id\":\"$v2\"" "$OUT" | grep -q '"deleted":true' || fail "not deleted"
expect_refused 3 "not found: visit/$v2" visit rm "$v2"
expect_refused 3 "not found: beneficiary/nothere" beneficiary rm nothere
expect_refused 2 "beneficiary rm takes the ID" beneficiary rm
expect_refused 2 "beneficiary rm takes only the ID" beneficiary rm "$budi" x
expect_refused 4 "invalid record id" beneficiary rm 'a b'
expect_ok beneficiary rm "$budi" --json
expect_stdout_is "{\"collection\":\"beneficiary\",\"id\":\"$budi\"}"
expect_fail 2 beneficiary bogus
expect_stderr_contains "use add, list, show, edit or rm"
expect_ok beneficiary --help
expect_stdout_contains "beneficiary rm ID"
expect_ok visit --help
expect_stdout_contains "[--limit N] [--month YYYY-MM]"
echo "ok"
