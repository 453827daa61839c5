# tests/pg/hubs.sh - several sambang-hub processes on one PostgreSQL
# database (sourced after tests/hub/lib.sh with SAMBANG_TEST_PG=1).
#
#   hubs_start N [ARGS]   start hubs 1..N on free ports: $HUB_URLS[i], pids
#   hub_kill I            kill -9 hub I
#   hub_restart I         start hub I again on its port
#   hubs_stop             SIGTERM every hub, wait

declare -a HUB_URLS=() HUB_PIDS=() HUB_PORTS=()

hub_start_one() { # hub_start_one I PORT [ARGS]
  local i=$1 port=$2 n=0
  shift 2
  rm -f "$WORK/hub$i.out"
  "$HUB" serve --listen "127.0.0.1:$port" "$@" >"$WORK/hub$i.out" \
    2>>"$WORK/hub$i.log" &
  HUB_PIDS[$i]=$!
  until grep -q '^listening on 127.0.0.1:' "$WORK/hub$i.out" 2>/dev/null; do
    n=$((n + 1))
    kill -0 "${HUB_PIDS[$i]}" 2>/dev/null || fail "hub $i did not start"
    [ "$n" -lt 3000 ] || {
      describe_stuck "${HUB_PIDS[$i]}"
      fail "hub $i did not start"
    }
    sleep 0.01
  done
  HUB_PORTS[$i]=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/hub$i.out")
  HUB_URLS[$i]=http://127.0.0.1:${HUB_PORTS[$i]}
}

hubs_start() {
  local n=$1 i
  shift
  for i in $(seq 1 "$n"); do
    hub_start_one "$i" 0 "$@"
  done
}

hub_kill() {
  kill -KILL "${HUB_PIDS[$1]}" 2>/dev/null || true
  wait "${HUB_PIDS[$1]}" 2>/dev/null || true
  HUB_PIDS[$1]=
}

hub_restart() {
  hub_start_one "$1" "${HUB_PORTS[$1]}"
}

hubs_stop() {
  local i
  for i in "${!HUB_PIDS[@]}"; do
    [ -n "${HUB_PIDS[$i]}" ] || continue
    kill -TERM "${HUB_PIDS[$i]}" 2>/dev/null || true
    wait "${HUB_PIDS[$i]}" 2>/dev/null || true
    HUB_PIDS[$i]=
  done
}

hubs_cleanup() {
  local i
  for i in "${!HUB_PIDS[@]}"; do
    [ -n "${HUB_PIDS[$i]}" ] && kill -KILL "${HUB_PIDS[$i]}" 2>/dev/null
  done
  cleanup
}
trap hubs_cleanup EXIT
