#!/usr/bin/env bash
# bench_tls.sh - push and pull records/s over the hub's native TLS against
# plain HTTP, in the same run (not run by CI; usage: bench_tls.sh BUILD_DIR
# [N], default 20,000 notes of ~400 bytes). Each transport gets its own
# hub store; a device imports N records and pushes them with `sambang sync
# --once`, then a fresh device pulls them all.
set -euo pipefail
build=$1
n=${2:-20000}
hub=$build/daemon/hub/sambang-hub
sambang=$build/client/sambang
work=$(mktemp -d "${TMPDIR:-/tmp}/sambang-bench-tls.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/ca.key" -out "$work/ca.crt" -days 2 -subj /CN=bench 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$work/hub.key" -out "$work/hub.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$work/ext"
openssl x509 -req -in "$work/hub.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -days 1 -extfile "$work/ext" -out "$work/hub.crt" 2>/dev/null

pad=$(printf 'x%.0s' {1..300})
for ((i = 0; i < n; i++)); do
  printf '{"collection":"notes","id":"n-%06d","fields":{"i":%d,"text":"%s"}}\n' \
    "$i" "$i" "$pad"
done >"$work/notes.jsonl"

now() { date +%s.%N; }

# run NAME URL_SCHEME [SERVE ARGS]: prints push and pull records/s.
run() {
  local name=$1 scheme=$2 line port url t0 t1 t2 token
  shift 2
  export SAMBANG_HUB_DB=$work/$name-hub.db
  "$hub" init >/dev/null
  exec 3< <(exec "$hub" serve --listen 127.0.0.1:0 "$@" 2>/dev/null)
  pids+=($!)
  read -r -t 30 line <&3
  port=${line##*:}
  [ "$scheme" = https ] && url=https://localhost:$port || url=http://127.0.0.1:$port
  for d in up down; do
    token=$("$hub" device add "$name-$d" --scope all)
    SAMBANG_DB=$work/$name-$d.db "$sambang" init --server "$url" \
      --token "$token" --ca-file "$work/ca.crt" >/dev/null
  done
  SAMBANG_DB=$work/$name-up.db "$sambang" import "$work/notes.jsonl" >/dev/null
  t0=$(now)
  SAMBANG_DB=$work/$name-up.db "$sambang" sync --once >/dev/null
  t1=$(now)
  SAMBANG_DB=$work/$name-down.db "$sambang" sync --once >/dev/null
  t2=$(now)
  awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v name="$name" \
    'BEGIN { printf "%-6s push %8.0f records/s   pull %8.0f records/s\n",
             name, n / (b - a), n / (c - b) }'
}

echo "$n records of ~400 bytes, sambang sync --once, loopback:"
run plain http
run tls https --tls-cert "$work/hub.crt" --tls-key "$work/hub.key"
