#!/usr/bin/env bash
# list filters: visit list --kecamatan / --group / --name through the
# visit's beneficiary, --programme, --month, --limit together, and name
# search by substring ignoring case and accents (SQLite's Unicode folding);
# in English and in Indonesian.
. "$(dirname "$0")/lib.sh"
fresh_store

add_b() { expect_ok beneficiary add --consent ya "$@"; cat "$OUT"; }
sri=$(add_b --name "Srí Wahyuni" --group perempuan,miskin --kecamatan Setu)
budi=$(add_b --name "Budi Santoso" --group anak --kecamatan Pamulang)
nono=$(add_b --name "ŞİRİN Ñoño-Çelik" --group anak,disabilitas --kecamatan Setu)
add_v() { expect_ok visit add "$@"; cat "$OUT"; }
v1=$(add_v --beneficiary "$sri" --programme skills-cooking --date 2025-11-05)
v2=$(add_v --beneficiary "$budi" --programme child-education --date 2025-11-20)
v3=$(add_v --beneficiary "$nono" --programme child-education --date 2025-12-01)
v4=$(add_v --beneficiary "$sri" --programme stigma-awareness --date 2025-12-02)

# ids listed (the table's first column, header skipped)
ids() { tail -n +2 "$OUT" | awk '{print $1}' | sort | tr '\n' ' '; }
expect_ids() { # expect_ids "ID..." ARGS...
  local want
  want=$( ([ -z "$1" ] || printf '%s\n' $1) | sort | tr '\n' ' ')
  shift
  expect_ok "$@"
  [ "$(ids)" = "$want" ] || fail "sambang $*: listed $(ids), want $want"
}

# Name search: substring, any case, accents ignored (on both sides).
expect_ids "$sri" beneficiary list --name sri
expect_ids "$sri" beneficiary list --name SRÍ
expect_ids "$sri" beneficiary list --name "sri wah"
expect_ids "$nono" beneficiary list --name sirin
expect_ids "$nono" beneficiary list --name "nono celik"
expect_ids "$sri $nono" beneficiary list --name s --kecamatan setu
expect_ids "$sri" beneficiary list --group miskin --name WAHYU
expect_ids "" beneficiary list --name xyz

# visit list through the beneficiary: --kecamatan, --group, --name.
expect_ids "$v1 $v3 $v4" visit list --kecamatan setu
expect_ids "$v2" visit list --kecamatan=Pamulang
expect_ids "$v2 $v3" visit list --group anak
expect_ids "$v3" visit list --group anak,disabilitas
expect_ids "$v1 $v4" visit list --name "sri"
expect_ids "$v3" visit list --kecamatan Setu --programme child-education
expect_ids "$v3 $v4" visit list --kecamatan Setu --month 2025-12
expect_ids "" visit list --kecamatan Ciputat
expect_ok --json visit list --kecamatan Pamulang
expect_stdout_is "{\"conflict\":false,\"id\":\"$v2\",\"values\":{\"beneficiary\":\"$budi\",\"date\":\"2025-11-20\",\"programme\":\"child-education\"}}"
# --limit with a filter through the reference
expect_ok visit list --kecamatan Setu --limit 2
expect_stdout_contains '(first 2 shown: more match; raise --limit)'
# a deleted beneficiary's visits match no beneficiary filter
expect_ok beneficiary rm "$budi"
expect_ids "" visit list --kecamatan Pamulang

# Bad values: a clear error, exit as for the beneficiary's own options.
expect_fail 4 visit list --kecamatan Jakarta
expect_stderr_contains 'option --kecamatan: "Jakarta" is not allowed'
expect_fail 4 visit list --group dewasa
expect_stderr_contains 'option --group'
expect_fail 2 visit list --kecamatan
expect_stderr_contains 'option --kecamatan needs a value'
expect_fail 2 visit list --nonsense x
# An option given twice is refused, as a field option is (not last-wins).
expect_fail 2 visit list --month 2025-12 --month 2025-11
expect_stderr_contains 'option --month is given twice'
expect_fail 2 visit list --limit 1 --limit 2
expect_stderr_contains 'option --limit is given twice'
# A number too large for any count is refused, not taken as the largest.
expect_fail 2 visit list --limit 99999999999999999999
expect_stderr_contains '--limit takes a number of records from 1, not "99999999999999999999"'
expect_ok visit list --limit 18446744073709551615
expect_fail 2 visit list --kecamatan Setu --kecamatan Pamulang
expect_stderr_contains 'option --kecamatan is given twice'
# ... and in Indonesian.
LANG=id_ID.UTF-8 sb visit list --kecamatan Jakarta
check_fail 4 visit list
expect_stderr_contains 'opsi --kecamatan: "Jakarta" tidak diizinkan'
LANG=id_ID.UTF-8 sb visit list --kecamatan Setu --limit 1
check_ok visit list
expect_stdout_contains '(1 pertama ditampilkan: masih ada yang cocok; naikkan --limit)'
LANG=id_ID.UTF-8 sb visit list --group anak
check_ok visit list
expect_stdout_contains 'Pendidikan anak'
echo ok
