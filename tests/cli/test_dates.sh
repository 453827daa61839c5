#!/usr/bin/env bash
# Dates as volunteers type them: YYYY-MM-DD, DD/MM/YYYY, today/hari ini,
# yesterday/kemarin, wherever the CLI takes a date (visit add/edit --date,
# --follow-up, resolve); always stored as YYYY-MM-DD. A date that does not
# exist is refused with a clear error and changes nothing.
# faketime fixes "today" (with ASan: tests/tools/faketime_asan.sh).
. "$(dirname "$0")/../tools/faketime_asan.sh"
export ASAN_OPTIONS=$FAKETIME_ASAN
. "$(dirname "$0")/lib.sh"
command -v faketime >/dev/null || fail "faketime is not installed (apt-get install faketime)"
export TZ=Asia/Jakarta
fresh_store

# on DATE ARGS...: sambang with today's date DATE (10:00 local time).
on() {
  local day=$1
  shift
  set +e
  faketime "$day 10:00:00" "$SAMBANG" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
}

expect_ok beneficiary add --name "Dewi Lestari" --group perempuan \
  --kecamatan Setu --consent ya
dewi=$(cat "$OUT")
date_of() { # date_of VISIT: its stored date
  expect_ok get visit "$1"
  sed -n 's/.*"date":"\([0-9-]*\)".*/\1/p' "$OUT"
}

# DD/MM/YYYY, stored canonically.
expect_ok visit add --beneficiary "$dewi" --programme skills-cooking \
  --date 05/11/2025 --follow-up 7/1/2026
v1=$(cat "$OUT")
[ "$(date_of "$v1")" = 2025-11-05 ] || fail "05/11/2025 must be stored as 2025-11-05"
expect_stdout_contains '"follow_up":"2026-01-07"'

# today / yesterday, in English and Indonesian, across a month end.
on 2026-03-01 visit add --beneficiary "$dewi" --programme skills-cooking --date "hari ini"
check_ok visit add
v2=$(cat "$OUT")
[ "$(date_of "$v2")" = 2026-03-01 ] || fail "hari ini must be 2026-03-01"
on 2026-03-01 visit add --beneficiary "$dewi" --programme skills-cooking --date kemarin
check_ok visit add
v3=$(cat "$OUT")
[ "$(date_of "$v3")" = 2026-02-28 ] || fail "kemarin (on 2026-03-01) must be 2026-02-28"
on 2024-03-01 visit edit "$v3" --date Yesterday
check_ok visit edit
[ "$(date_of "$v3")" = 2024-02-29 ] || fail "yesterday (on 2024-03-01) must be 2024-02-29"
on 2026-03-01 visit edit "$v3" --date today
check_ok visit edit
[ "$(date_of "$v3")" = 2026-03-01 ] || fail "today must be 2026-03-01"
# resolve reads a plain value the same way
on 2026-03-01 resolve visit "$v3" date kemarin
check_ok resolve
[ "$(date_of "$v3")" = 2026-02-28 ] || fail "resolve ... date kemarin must store 2026-02-28"

# Dates that do not exist: a clear error, exit 4, nothing changes.
for bad in 31/02/2026 2026-13-01 2025-02-29 32/01/2026 05/13/2026 2026/11/05 besok; do
  expect_refused 4 "expected a date YYYY-MM-DD or DD/MM/YYYY" \
    visit edit "$v1" --date "$bad"
  expect_refused 4 "expected a date YYYY-MM-DD or DD/MM/YYYY" \
    visit add --beneficiary "$dewi" --programme skills-cooking --date "$bad"
done
# ... and in Indonesian.
snapshot
LANG=id_ID.UTF-8 sb visit edit "$v1" --date 31/02/2026
check_fail 4 visit edit
expect_stderr_contains 'seharusnya tanggal YYYY-MM-DD atau DD/MM/YYYY'
expect_unchanged
# The future is still refused for the visit date, whatever its form.
on 2026-03-01 visit add --beneficiary "$dewi" --programme skills-cooking --date 02/03/2026
check_fail 4 visit add
expect_stderr_contains 'is in the future (today is 2026-03-01)'
# --month stays YYYY-MM.
expect_refused 2 '--month takes YYYY-MM' visit list --month 11/2025
expect_ok visit list --month 2025-11
expect_stdout_contains "$v1"
echo ok
