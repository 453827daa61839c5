#!/usr/bin/env bash
# Visits point at real beneficiaries: --beneficiary takes an id this device
# holds, a unique start of one, or (part of) a name; anything else is
# refused with the documented exit codes and changes nothing. A visit may
# not be dated after today. list and show print the beneficiary's name.
. "$(dirname "$0")/lib.sh"
fresh_store
yesterday=$(date -d yesterday +%F)
tomorrow=$(date -d tomorrow +%F)

sari=$("$SAMBANG" beneficiary add --name "Ibu Sari" --group perempuan \
  --kecamatan Setu --consent yes)
dewi=$("$SAMBANG" beneficiary add --name "Sari Dewi" --group anak \
  --kecamatan Setu --consent yes)
gone=$("$SAMBANG" beneficiary add --name "Pak Hadi" --group miskin \
  --kecamatan Setu --consent yes)
anon=$("$SAMBANG" beneficiary add --group anak --kecamatan Setu --consent no)
expect_ok rm beneficiary "$gone"

# An id this device does not hold: not found (3), named, nothing written.
expect_refused 3 '--beneficiary "0000aaaa-no-such": no beneficiary on this device has that id or name' \
  visit add --beneficiary 0000aaaa-no-such --programme skills-cooking
expect_refused 3 "--beneficiary \"Budi\": no beneficiary" \
  visit add --beneficiary Budi --programme skills-cooking
# A deleted beneficiary is not held any more.
expect_refused 3 "--beneficiary \"$gone\": no beneficiary" \
  visit add --beneficiary "$gone" --programme skills-cooking
expect_refused 3 '"Pak Hadi": no beneficiary' \
  visit add --beneficiary "Pak Hadi" --programme skills-cooking
# Several match: invalid (4), the candidates listed with their names.
expect_refused 4 "--beneficiary \"sari\" matches 2 beneficiary records: " \
  visit add --beneficiary sari --programme skills-cooking
expect_stderr_contains "$sari (Ibu Sari)"
expect_stderr_contains "$dewi (Sari Dewi)"
# The three live ids share their first character (UUIDv7: the time).
expect_refused 4 "--beneficiary \"${sari:0:1}\" matches 3 beneficiary records" \
  visit add --beneficiary "${sari:0:1}" --programme skills-cooking
expect_stderr_contains "$anon"
# A future date: invalid (4), the date and today named.
expect_refused 4 "option --date: $tomorrow is in the future (today is $(date +%F))" \
  visit add --beneficiary "$sari" --date "$tomorrow" --programme skills-cooking

# The exact id, a unique start of it, a name (ignoring case), part of one.
expect_ok visit add --beneficiary "$sari" --programme skills-cooking
v1=$(cat "$OUT")
expect_ok visit add --beneficiary "${dewi:0:33}" --programme child-education \
  --date "$yesterday"
v2=$(cat "$OUT")
expect_ok --json get visit "$v2"
expect_stdout_contains "\"beneficiary\":\"$dewi\""
expect_ok visit add --beneficiary "ibu SARI" --programme skills-business
v3=$(cat "$OUT")
expect_ok --json get visit "$v3"
expect_stdout_contains "\"beneficiary\":\"$sari\""
expect_ok visit add --beneficiary "Dewi" --programme stigma-awareness
v4=$(cat "$OUT")
expect_ok --json get visit "$v4"
expect_stdout_contains "\"beneficiary\":\"$dewi\""
# The same name exactly wins over names that merely hold it.
sari2=$("$SAMBANG" beneficiary add --name "Ibu Sari Wulandari" --group perempuan \
  --kecamatan Setu --consent yes)
expect_ok visit add --beneficiary "Ibu Sari" --programme skills-cooking
v5=$(cat "$OUT")
expect_ok --json get visit "$v5"
expect_stdout_contains "\"beneficiary\":\"$sari\""

# edit resolves and checks the same way.
expect_refused 3 '--beneficiary "nobody": no beneficiary' \
  visit edit "$v1" --beneficiary nobody
expect_refused 4 "option --date: $tomorrow is in the future" \
  visit edit "$v1" --date "$tomorrow"
expect_ok visit edit "$v1" --beneficiary "Wulandari"
expect_ok --json get visit "$v1"
expect_stdout_contains "\"beneficiary\":\"$sari2\""

# list and show print the name beside the id.
expect_ok visit show "$v2"
expect_stdout_contains "beneficiary: $dewi (Sari Dewi)"
expect_stdout_contains "date: $yesterday"
expect_ok visit list
expect_stdout_contains "$dewi (Sari Dewi)"
expect_stdout_contains "$sari2 (Ibu Sari Wulandari)"
# --json output keeps the plain id.
expect_ok --json visit show "$v2"
expect_stdout_lacks "Sari Dewi"
# A visit whose beneficiary was deleted since, or is held without a name.
expect_ok put visit v9 "{\"beneficiary\":\"$gone\",\"date\":\"$yesterday\",\"programme\":\"skills-cooking\"}"
expect_ok visit show v9
expect_stdout_contains "beneficiary: $gone (deleted)"
LANG=id_ID.UTF-8 sb visit show v9
check_ok
expect_stdout_contains "(dihapus)"
expect_ok put visit v10 "{\"beneficiary\":\"b-elsewhere\",\"date\":\"$yesterday\",\"programme\":\"skills-cooking\"}"
expect_ok visit show v10
expect_stdout_contains "beneficiary: b-elsewhere (not on this device)"
LANG=id_ID.UTF-8 sb visit show v10
check_ok
expect_stdout_contains "b-elsewhere (tidak ada di perangkat ini)"
expect_ok visit add --beneficiary "$anon" --programme skills-cooking
expect_ok visit show "$(cat "$OUT")"
expect_stdout_contains "beneficiary: $anon"
expect_stdout_lacks "beneficiary: $anon ("

echo "ok"
