#!/usr/bin/env bash
# demo.sh - the main job: a field store at work, fully offline.
# A volunteer's device records beneficiaries and visits, lists, shows a
# conflict resolved, and exports. usage: deploy/demo.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: deploy/demo.sh BUILD_DIR}
sambang=$build/client/sambang
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SAMBANG_DB=$work/field.db

step() { printf '\n$ %s\n' "$*" >&2; "$@"; }

step "$sambang" init
siti=$(step "$sambang" beneficiary add --name "Siti Aminah" --group perempuan \
  --group miskin --kecamatan Pamulang --kelurahan "Pamulang Barat" \
  --contact 0812-0000-1111 --consent yes | tail -n 1)
echo "$siti"
budi=$(step "$sambang" beneficiary add --name "Budi" --group anak \
  --group disabilitas --kecamatan "Pondok Aren" --consent yes | tail -n 1)
echo "$budi"
step "$sambang" visit add --beneficiary "$siti" --date 2026-11-20 \
  --programme women-food-business --outcome "started keripik stall" \
  --follow-up 2026-12-20 --willing yes
step "$sambang" visit add --beneficiary "$budi" --date 2026-11-21 \
  --programme child-education --outcome "enrolled in SD" --willing yes
step "$sambang" beneficiary list
step "$sambang" visit list --programme women-food-business
step "$sambang" beneficiary show "$siti"
echo
echo "# bad input is refused with a clear error and changes nothing:"
step "$sambang" visit add --beneficiary "$siti" --date 2026-02-30 \
  --programme cooking || true
step "$sambang" status
step "$sambang" export
