#!/usr/bin/env bash
# A random-history privacy test of scoped sync (issue 12), seeded (the seed
# is printed; SCOPE_SEED=N replays one): three field devices with changing
# scopes (the office sets them at random) while the office and the devices
# move beneficiaries between kecamatan and the devices record visits. Each
# device syncs through its own faultproxy recording what the hub sent it.
# After every sync of a device (tests/tools/scope_check.py): no page sent
# to it held a record outside its scope (the wire bodies, gzip or not), its
# store holds exactly the hub's records in its scope, each identical to the
# hub's (except the records the hub refused: a visit of a beneficiary the
# office moved away before the device heard of it is refused out_of_scope
# and stays on the device, marked); and at the end every visit a device
# recorded is at the hub or kept on it as refused.
. "$(dirname "$0")/lib.sh"

SEED=${SCOPE_SEED:-$(($(date +%s) % 100000))}
STEPS=${SCOPE_STEPS:-16}
echo "seed $SEED (replay: SCOPE_SEED=$SEED)"
RANDOM=$SEED
KEC=(Setu Pamulang Ciputat Serpong)
DEVS=(d1 d2 d3)
declare -A SCOPE=() PURL=()
CHECK=$(dirname "$0")/../tools/scope_check.py

# Both set a variable rather than print: bash reseeds RANDOM in every
# subshell, so a $(pick) would make the seed unreplayable.
pick() { K=${KEC[RANDOM % ${#KEC[@]}]}; } # K: a random kecamatan
rand_scope() { # S: a non-empty random subset of KEC
  local k
  S=""
  for k in "${KEC[@]}"; do ((RANDOM % 2)) && S+="${S:+,}$k"; done
  [ -n "$S" ] || { pick; S=$K; }
}
ben_json() { # ben_json KECAMATAN NAME
  printf '{"consent":true,"groups":["miskin"],"kecamatan":"%s","name":"%s"}' "$1" "$2"
}
# The proxies go with the test (killed by pid, as lib.sh does its own).
PROXIES=()
trap 'kill -KILL "${PROXIES[@]}" 2>/dev/null; sync_cleanup' EXIT
start_recording_proxy() { # start_recording_proxy NAME
  local line
  exec {fd}< <(exec "$FAULTPROXY" --listen 127.0.0.1:0 --target "127.0.0.1:${URL##*:}" \
    --record "$WORK/wire-$1" 2>>"$WORK/proxy.log")
  PROXIES+=("$!")
  read -r -t 10 line <&"$fd" || fail "the proxy of $1 did not start"
  PURL[$1]=http://127.0.0.1:${line##*:}
}
check() { # check NAME: the device against the hub, and what it was sent
  local n=$1
  "$HUB" export >"$WORK/hub.export" || fail "hub export"
  dev "$n" export >"$WORK/$n.export" || fail "export of $n"
  shopt -s nullglob
  local wires=("$WORK/wire-$n".*)
  shopt -u nullglob
  dev "$n" conflicts | awk -F'\t' '$3 ~ /^\(rejected by the hub\) out_of_scope/ {print $1 "/" $2}' \
    >"$WORK/$n.refused"
  python3 "$CHECK" "${SCOPE[$n]}" "$WORK/hub.export" "$WORK/$n.export" \
    "$WORK/$n.refused" "${wires[@]}" >"$WORK/check.out" 2>>"$WORK/check.log" ||
    fail "seed $SEED, step $step, $n (scope ${SCOPE[$n]}): $(head -5 "$WORK/check.out")"
  rm -f "${wires[@]}"
}
# Exit 7 (records refused) is expected only for out_of_scope refusals: this
# sync's, or ones kept from an earlier sync (then the message only says
# they are kept), so every refusal the device holds must be out_of_scope.
refused_other() { # refused_other NAME: refused records of another reason
  dev "$1" conflicts | awk -F'\t' '$3 ~ /^\(rejected by the hub\)/ &&
    $3 !~ /^\(rejected by the hub\) out_of_scope/ {print $1 "/" $2}'
}
dsync() { # dsync NAME: sync --once (7: some records refused), then check
  local rc=0
  dev "$1" sync --once >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" = 0 ] || { [ "$rc" = 7 ] && [ -z "$(refused_other "$1")" ]; } ||
    fail "seed $SEED, step $step: sync of $1 (exit $rc): $(cat "$ERR")"
  check "$1"
}

expect_hub_ok init
start_hub
enrol office all
for n in "${DEVS[@]}"; do
  rand_scope
  SCOPE[$n]=$S
  start_recording_proxy "$n"
  token=$("$HUB" device add "$n" --scope "${SCOPE[$n]}") || fail "device add $n"
  dev "$n" init --server "${PURL[$n]}" --token "$token" >/dev/null || fail "init $n"
done
for i in $(seq 1 16); do
  pick
  printf '{"collection":"beneficiary","id":"b%d","fields":%s}\n' "$i" "$(ben_json "$K" "Ibu b$i")"
done >"$WORK/seed.jsonl"
dev office import "$WORK/seed.jsonl" >/dev/null || fail "import"
sync_once office
step=0
for n in "${DEVS[@]}"; do dsync "$n"; done

visits=()
for ((step = 1; step <= STEPS; step++)); do
  n=${DEVS[RANDOM % ${#DEVS[@]}]}
  case $((RANDOM % 5)) in
  0) # the office moves a beneficiary
    pick
    dev office put beneficiary "b$((RANDOM % 16 + 1))" "{\"kecamatan\":\"$K\"}" >/dev/null ||
      fail "office move"
    sync_once office ;;
  1) # the office changes a device's scope
    rand_scope
    SCOPE[$n]=$S
    "$HUB" device scope "$n" --set "${SCOPE[$n]}" >/dev/null 2>&1 || fail "device scope $n" ;;
  2) # a device moves one of its beneficiaries (a person moves house)
    b=$(sed -n 's/.*"collection":"beneficiary".*"id":"\(b[0-9]*\)".*/\1/p' "$WORK/$n.export" | shuf -n 1 --random-source=<(yes "$SEED$step"))
    if [ -n "$b" ]; then
      pick
      dev "$n" put beneficiary "$b" "{\"kecamatan\":\"$K\"}" >/dev/null || fail "$n moves $b"
    fi ;;
  *) # a device records a visit of one of its beneficiaries
    b=$(sed -n 's/.*"collection":"beneficiary".*"id":"\(b[0-9]*\)".*/\1/p' "$WORK/$n.export" | shuf -n 1 --random-source=<(yes "$SEED$step"))
    if [ -n "$b" ]; then
      dev "$n" put visit "v$step" "{\"beneficiary\":\"$b\",\"date\":\"2024-05-01\",\"programme\":\"skills-cooking\"}" >/dev/null ||
        fail "$n records v$step"
      visits+=("$n:v$step")
    fi ;;
  esac
  dsync "$n"
done
# Everyone syncs once more; nothing a device wrote was lost.
sync_once office
for n in "${DEVS[@]}"; do dsync "$n"; done
"$HUB" export >"$WORK/hub.export"
refused=0
for v in "${visits[@]}"; do
  grep -qF "\"id\":\"${v#*:}\"" "$WORK/hub.export" && continue
  grep -qxF "visit/${v#*:}" "$WORK/${v%%:*}.refused" ||
    fail "seed $SEED: visit $v was lost (neither at the hub nor kept as refused)"
  refused=$((refused + 1))
done
pages=$(sed -n 's/^checked \([0-9]*\) pages.*/\1/p' "$WORK/check.log" | paste -sd+ | bc)
[ "${pages:-0}" -gt "$STEPS" ] || fail "only ${pages:-0} pages were checked"
echo "ok ($STEPS steps, ${#visits[@]} visits of which $refused refused, $pages pages checked)"
