#!/usr/bin/env bash
# demo.sh - the main job: a hub and three field devices on loopback.
#
# The office starts a hub and enrols three volunteers' devices. Two of
# them run sambangd (the field daemon) and sync by themselves; the third
# stays offline and records visits. Two volunteers edit the same
# beneficiary at the same time; the offline device syncs when it gets
# signal; every device ends with the hub's data, byte for byte, and the
# concurrent edit shows as a conflict that the office resolves.
# usage: deploy/demo.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: deploy/demo.sh BUILD_DIR}
sambang=$build/client/sambang
sambangd=$build/daemon/sambangd/sambangd
hub=$build/daemon/hub/sambang-hub
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export SAMBANG_HUB_DB=$work/hub.db

say() { printf '\n# %s\n' "$*" >&2; }
step() { printf '$ %s\n' "$*" | sed "s#$build/[a-z]*/##; s#$work/##g" >&2; "$@"; }
# dev NAME ARGS...: sambang on device NAME's store.
dev() {
  local name=$1
  shift
  step "$sambang" --db "$work/$name.db" "$@"
}
# Waits (bounded) until every device's export equals the hub's.
wait_converged() {
  local i d same
  for ((i = 0; i < 300; i++)); do
    same=1
    "$hub" export >"$work/hub.jsonl"
    for d in "$@"; do
      "$sambang" --db "$work/$d.db" export | cmp -s - "$work/hub.jsonl" || same=0
    done
    [ "$same" -eq 1 ] && return 0
    sleep 0.1
  done
  echo "demo: devices did not converge" >&2
  return 1
}

say "The office: a hub on loopback, three devices enrolled with their scopes (kecamatan)"
step "$hub" init
exec 3< <(exec "$hub" serve --listen 127.0.0.1:0 2>"$work/hub.log")
pids+=($!)
read -r line <&3
echo "$line"
url=http://127.0.0.1:${line##*:}
say "The office dashboard: an office user (the password on stdin)"
printf 'koordinator-2024\n' | step "$hub" user add koordinator --role admin
echo "dashboard: $url/  (user koordinator, password koordinator-2024)"
# Each device holds only the records of its kecamatan (a visit follows its
# beneficiary); the demo's people live in Pamulang and Pondok Aren.
declare -A scope=([ani]="Pamulang,Pondok Aren" [budi]="Pamulang,Pondok Aren"
  [citra]="Pamulang,Pondok Aren,Setu")
for d in ani budi citra; do
  token=$(step "$hub" device add "$d" --scope "${scope[$d]}")
  dev "$d" init --server "$url" --token "$token" >/dev/null
done
step "$hub" device list

say "Ani and Budi run the field daemon; Citra is out of signal all day"
for d in ani budi; do
  "$sambangd" --db "$work/$d.db" 2>"$work/$d.log" &
  pids+=($!)
done
until [ -S "$work/ani.db.sock" ] && [ -S "$work/budi.db.sock" ]; do sleep 0.05; done

siti=$(dev ani beneficiary add --name "Siti Aminah" --group perempuan \
  --group miskin --kecamatan Pamulang --kelurahan "Pamulang Barat" \
  --contact 0812-0000-1111 --consent yes | tail -n 1)
dev ani visit add --beneficiary "$siti" --date 2026-11-20 \
  --programme women-food-business --outcome "started keripik stall" \
  --follow-up 2026-12-20 --willing yes >/dev/null
rudi=$(dev citra beneficiary add --name "Rudi" --group anak \
  --group disabilitas --kecamatan "Pondok Aren" --consent yes | tail -n 1)
dev citra visit add --beneficiary "$rudi" --date 2026-11-21 \
  --programme child-education --outcome "enrolled in SD" --willing yes \
  >/dev/null
wait_converged ani budi
say "Budi's device already has Ani's records; Citra's stay on her device"
dev budi beneficiary list
dev citra status

say "Ani and Budi both edit Siti's record at the same moment"
"$sambang" --db "$work/ani.db" sync >/dev/null # both up to date first
kill -STOP "${pids[1]}" "${pids[2]}"            # pause both daemons...
dev ani beneficiary edit "$siti" --contact 0812-2222-3333 >/dev/null
dev budi beneficiary edit "$siti" --contact 0857-4444-5555 >/dev/null
kill -CONT "${pids[1]}" "${pids[2]}" # ...and let them sync

say "Citra finds signal: one sync cycle by hand"
dev citra sync --once
dev ani sync
wait_converged ani budi citra
say "Every device now holds exactly the hub's data (byte-identical exports)"
for d in ani budi citra; do
  printf '%s: %s records, sha256 %s\n' "$d" \
    "$("$sambang" --db "$work/$d.db" export | wc -l)" \
    "$("$sambang" --db "$work/$d.db" export | sha256sum | cut -c1-16)"
done
printf 'hub:  %s records, sha256 %s\n' "$("$hub" export | wc -l)" \
  "$("$hub" export | sha256sum | cut -c1-16)"

say "The concurrent edit is a conflict, on every device and at the hub"
dev citra beneficiary show "$siti"
dev citra conflicts --values
step "$hub" conflicts --values
say "Citra checks with Siti and settles the contact number"
dev citra resolve beneficiary "$siti" contact '"0812-2222-3333"'
dev citra sync --once
wait_converged ani budi citra
dev budi beneficiary show "$siti"
dev budi status
say "The office's dashboard answers with a session (it is open at $url/)"
curl -s -c "$work/jar" -o /dev/null -d 'user=koordinator&password=koordinator-2024' "$url/login"
curl -s -b "$work/jar" "$url/api/overview"
echo
say "The visits of Pamulang, as CSV for Excel (the dashboard's filters, on the command line)"
step "$hub" export --csv visit --kecamatan Pamulang
if [ -n "${SAMBANG_DEMO_HOLD:-}" ]; then
  say "Holding the hub for you: open $url/ (Ctrl-C ends the demo)"
  wait "${pids[0]}"
fi
