#!/usr/bin/env bash
# bench_scope.sh - scoped sync's cost (issue 12), with the real binaries on
# loopback (called by run.sh; usage: bench_scope.sh BUILD_DIR WORKDIR [N]).
#
# A hub holds N beneficiaries (default 100,000), spread evenly over the
# schema's 7 kecamatan. Seven fresh devices, one per kecamatan, each pull
# their scope with `sambang --json sync --once`, one after the other:
# per device the records it holds, the bytes of reply bodies on the wire
# (gzip) and as JSON, and the seconds taken, against a device of scope
# `all` pulling everything. Cost should follow the scope (about 1/7 of
# the hub each), not the hub: the hub reads only the rows of the
# device's parts (daemon/hub/DESIGN.md, "Scoped reads"). Last, the cost
# of scope moves: 300 new beneficiaries pushed onto 10,000 visits, and
# of 300 beneficiaries with their visits leaving a device.
# BENCH_PG=1: the hub on PostgreSQL (a throwaway cluster, tests/pg/lib.sh).
set -euo pipefail
build=$1
work=$2
n=${3:-100000}
hub=$build/daemon/hub/sambang-hub
sambang=$build/client/sambang
kec=("Serpong" "Serpong Utara" "Ciputat" "Ciputat Timur" "Pamulang" "Pondok Aren" "Setu")

export SAMBANG_HUB_DB=$work/scope-hub.db
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  [ -z "${BENCH_PG:-}" ] || pg_cleanup
}
trap cleanup EXIT
if [ -n "${BENCH_PG:-}" ]; then
  . "$(dirname "$0")/../pg/lib.sh"
  pg_start >/dev/null || { echo "bench_scope: cannot start PostgreSQL" >&2; exit 1; }
  SAMBANG_HUB_DB=$(pg_createdb scopebench)
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }
dev() {
  local d=$1
  shift
  "$sambang" --db "$work/scope-$d.db" "$@"
}
enrol() { # enrol NAME SCOPE
  dev "$1" init --server "$url" --token "$("$hub" device add "$1" --scope "$2")" >/dev/null
}
json_num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

rm -f "$work"/scope-*
"$hub" init >/dev/null
exec 3< <(exec "$hub" serve --listen 127.0.0.1:0 2>"$work/scope-hub.log")
pids+=($!)
read -r line <&3
url=http://127.0.0.1:${line##*:}

# The office pushes N beneficiaries, kecamatan round-robin (~250 bytes of
# fields each).
awk -v n="$n" 'BEGIN {
  split("Serpong|Serpong Utara|Ciputat|Ciputat Timur|Pamulang|Pondok Aren|Setu", k, "|");
  pad = sprintf("%120s", ""); gsub(/ /, "x", pad);
  for (i = 0; i < n; i++)
    printf "{\"collection\":\"beneficiary\",\"id\":\"b%06d\",\"fields\":{\"consent\":true,\"groups\":[\"miskin\"],\"kecamatan\":\"%s\",\"name\":\"Ibu %06d %s\"}}\n", i, k[i % 7 + 1], i, pad
}' >"$work/scope-rows.jsonl"
enrol office all
dev office import "$work/scope-rows.jsonl" >/dev/null
t0=$(now_ms)
dev office sync --once >/dev/null
t1=$(now_ms)
echo "hub: $n beneficiaries over ${#kec[@]} kecamatan, pushed in $((t1 - t0)) ms"

pull() { # pull NAME SCOPE: one line of figures
  local name=$1 scope=$2 t0 t1 out recs
  enrol "$name" "$scope"
  t0=$(now_ms)
  out=$(dev "$name" --json sync --once)
  t1=$(now_ms)
  recs=$(sqlite3 "$work/scope-$name.db" "SELECT count(*) FROM records")
  printf '%-14s %-14s %8s %6.1f%% %12s %12s %8.2f\n' "$name" "$scope" "$recs" \
    "$(awk "BEGIN{print 100*$recs/$n}")" "$(json_num wire_down <<<"$out")" \
    "$(json_num json_down <<<"$out")" "$(awk "BEGIN{print ($t1-$t0)/1000}")"
}
printf '%-14s %-14s %8s %7s %12s %12s %8s\n' device scope records share \
  wire_bytes json_bytes seconds
for i in "${!kec[@]}"; do
  pull "k$i" "${kec[$i]}"
done
pull everything all

# Visits first, then new beneficiaries: each new beneficiary is a scope
# move that looks for the visits following it (found through the hub's
# notes of who follows whom, daemon/hub/DESIGN.md "Moves", not by reading
# every visit). 10,000 visits of beneficiaries the hub does not hold yet,
# then 300 of those beneficiaries.
awk 'BEGIN {
  for (i = 0; i < 10000; i++)
    printf "{\"collection\":\"visit\",\"id\":\"v%06d\",\"fields\":{\"beneficiary\":\"nb%05d\",\"date\":\"2026-11-03\",\"programme\":\"skills-cooking\"}}\n", i, i % 3000
}' >"$work/scope-visits.jsonl"
awk -v n=300 'BEGIN {
  for (i = 0; i < n; i++)
    printf "{\"collection\":\"beneficiary\",\"id\":\"nb%05d\",\"fields\":{\"consent\":true,\"groups\":[\"miskin\"],\"kecamatan\":\"Setu\",\"name\":\"Ibu %05d\"}}\n", i, i
}' >"$work/scope-new.jsonl"
dev office import "$work/scope-visits.jsonl" >/dev/null
dev office sync --once >/dev/null
dev office import "$work/scope-new.jsonl" >/dev/null
t0=$(now_ms)
dev office sync --once >/dev/null
t1=$(now_ms)
echo "moves: 300 new beneficiaries (1,000 of 10,000 visits follow them) pushed in $((t1 - t0)) ms"

# Leaving: 20,000 visits of Setu's beneficiaries reach the Setu device
# (k6), then 300 of those beneficiaries move to Pamulang: the device is
# sent each of them and each of their visits as gone, and removes every
# local visit that follows a gone beneficiary (daemon/sync/DESIGN.md,
# "Scopes": one walk of the visits per page, not one per beneficiary).
awk -v n="$n" 'BEGIN {
  setu = int((n - 7) / 7) + 1; if (setu > 3000) setu = 3000
  for (i = 0; i < 20000; i++)
    printf "{\"collection\":\"visit\",\"id\":\"lv%06d\",\"fields\":{\"beneficiary\":\"b%06d\",\"date\":\"2026-11-03\",\"programme\":\"skills-cooking\"}}\n", i, (i % setu) * 7 + 6
}' >"$work/scope-setu-visits.jsonl"
pad=$(printf '%120s' '' | tr ' ' x)
awk -v pad="$pad" 'BEGIN {
  for (i = 0; i < 300; i++)
    printf "{\"collection\":\"beneficiary\",\"id\":\"b%06d\",\"fields\":{\"consent\":true,\"groups\":[\"miskin\"],\"kecamatan\":\"Pamulang\",\"name\":\"Ibu %06d %s\"}}\n", i * 7 + 6, i * 7 + 6, pad
}' >"$work/scope-leave.jsonl"
dev office import "$work/scope-setu-visits.jsonl" >/dev/null
dev office sync --once >/dev/null
dev k6 sync --once >/dev/null
before=$(sqlite3 "$work/scope-k6.db" "SELECT count(*) FROM records")
dev office import "$work/scope-leave.jsonl" >/dev/null
dev office sync --once >/dev/null
t0=$(now_ms)
dev k6 sync --once >/dev/null
t1=$(now_ms)
after=$(sqlite3 "$work/scope-k6.db" "SELECT count(*) FROM records")
echo "leaving: 300 beneficiaries moved out of Setu; the Setu device went from $before to $after records in $((t1 - t0)) ms"
