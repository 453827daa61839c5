#!/usr/bin/env bash
# The office writes too (issue 11 with issue 10): random histories where
# three offline devices edit, move, withdraw consent from and delete the
# same beneficiaries while a reviewer edits them on the dashboard
# (/api/resolve, written as the hub's own replica). At every office write:
# a live record takes it (200, the value read back at once), a deleted one
# is refused (404) and stays as it was. After the devices sync to rest:
# every device's export equals the hub's, byte for byte. Last, the office
# writes each live record once more with nobody editing: every device
# pulls exactly that value (an office write is never lost); and with the
# devices' daemons long-polling, an office write wakes them at once.
# Seeded: SEED=N replays one history.
. "$(dirname "$0")/lib.sh"

seed_random
NREC=6
KEC=(Setu Pamulang Serpong Ciputat)

expect_hub_ok init
printf 'review-pass-1\n' | "$HUB" user add rina --role reviewer >/dev/null ||
  fail "user add"
start_hub
for d in d1 d2 d3; do enrol "$d" all; done
for ((k = 0; k < NREC; k++)); do ben d1 "b$k" Setu; done
sync_to_rest 4 d1 d2 d3

office_session rina review-pass-1

# record_json ID: the dashboard's view of beneficiary ID in $BODY.
record_json() {
  req GET "/api/record/beneficiary/$1" -b "$WORK/rina.jar"
}

OFFICE_WROTE=0
OFFICE_REFUSED=0
# office_write ID VALUE: the reviewer sets kelurahan (at the seq just read).
office_write() {
  local id=$1 value=$2 seq before
  record_json "$id"
  [ "$STATUS" = 200 ] || fail "GET /api/record/beneficiary/$id: $STATUS $(cat "$BODY")"
  seq=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$BODY" | head -n 1)
  [ -n "$seq" ] || fail "no seq for $id: $(cat "$BODY")"
  before=$("$HUB" export)
  req POST /api/resolve -b "$WORK/rina.jar" -H "X-CSRF-Token: $CSRF" \
    -H 'Content-Type: application/json' \
    --data "{\"collection\":\"beneficiary\",\"id\":\"$id\",\"seq\":$seq,\"fields\":{\"kelurahan\":\"$value\"}}"
  case $STATUS in
  200)
    OFFICE_WROTE=$((OFFICE_WROTE + 1))
    record_json "$id"
    grep -q "\"$value\"" "$BODY" ||
      fail "the office's $value is not in $id at once: $(cat "$BODY")"
    ;;
  404) # deleted meanwhile (a device's delete won): nothing written
    OFFICE_REFUSED=$((OFFICE_REFUSED + 1))
    [ "$("$HUB" export)" = "$before" ] || fail "a refused office write changed the hub"
    ;;
  *) fail "office write of $id: $STATUS $(cat "$BODY")" ;;
  esac
}

# device_edit DEVICE: one random edit (refusals, such as editing a record
# the device has deleted, change nothing and are allowed).
device_edit() {
  local d=$1 id=b$((RANDOM % NREC))
  case $((RANDOM % 10)) in
  0) dev "$d" beneficiary rm "$id" ;;
  1) dev "$d" beneficiary edit "$id" --consent no --name "" ;;
  2) dev "$d" beneficiary edit "$id" --consent yes --name "Ibu $d $RANDOM" ;;
  3 | 4) dev "$d" beneficiary edit "$id" --kecamatan "${KEC[RANDOM % 4]}" ;;
  5) # a deleted record written again as a whole: alive again
    dev "$d" put beneficiary "$id" "{\"consent\":true,\"groups\":[\"anak\"],\"kecamatan\":\"Setu\",\"name\":\"Baru $RANDOM\"}" ;;
  *) dev "$d" beneficiary edit "$id" --kelurahan "$d-$RANDOM" ;;
  esac >/dev/null 2>&1 || true
}

# settle: every device pushes what waits, then those before the last pull
# what came after them.
settle() {
  sync_to_rest 6 d1 d2 d3
  sync_once d1
  sync_once d2
}

for ((round = 0; round < 8; round++)); do
  for ((i = 0; i < 12; i++)); do
    case $((RANDOM % 4)) in
    0) office_write "b$((RANDOM % NREC))" "office-$round-$i" ;;
    *) device_edit "d$((RANDOM % 3 + 1))" ;;
    esac
  done
  # Some devices sync, in a random order; the others stay offline.
  for d in d1 d2 d3; do
    if ((RANDOM % 2)); then sync_once "$d"; fi
  done
done

settle
expect_converged d1 d2 d3

# Nobody edits now: each live record's office write reaches every device.
# A record in conflict takes it too: the office's resolve is a new write.
for ((k = 0; k < NREC; k++)); do
  record_json "b$k"
  [ "$STATUS" = 200 ] || continue # deleted for good
  office_write "b$k" "final-$k"
  grep -q '"final-'$k'"' "$BODY" || continue
  for d in d1 d2 d3; do touch "$WORK/expect.$d.b$k"; done
done
settle
expect_converged d1 d2 d3
echo "office writes: $OFFICE_WROTE taken, $OFFICE_REFUSED refused (deleted)"
[ "$OFFICE_WROTE" -gt "$NREC" ] || fail "too few office writes were taken"
for f in "$WORK"/expect.*; do
  [ -e "$f" ] || fail "no live record was left for the office's last writes"
  name=${f##*/expect.}
  d=${name%%.*}
  id=${name#*.}
  dev "$d" get beneficiary "$id" >"$OUT" || fail "get $id on $d"
  grep -q "\"kelurahan\":\"final-${id#b}\"" "$OUT" ||
    fail "$d lost the office's last write on $id: $(cat "$OUT")"
done

# Live: the devices' daemons long-poll (50 s each); an office write wakes
# them, so every device holds it in far less than a long-poll's wait.
listening() { dev "$1" status | grep -q 'listening'; }
for d in d1 d2 d3; do start_daemon "$d"; done
for d in d1 d2 d3; do wait_until 20 listening "$d"; done
for ((k = 0; k < NREC; k++)); do
  taken=$OFFICE_WROTE
  office_write "b$k" "live-$k"
  [ "$OFFICE_WROTE" = "$taken" ] || break
done
[ "$OFFICE_WROTE" != "$taken" ] || fail "no live record for the live office write"
holds_live() {
  local d
  for d in d1 d2 d3; do
    dev "$d" get beneficiary "b$k" | grep -q "\"kelurahan\":\"live-$k\"" || return 1
  done
}
wait_until 20 holds_live
for d in d1 d2 d3; do stop_daemon "$d"; done
expect_converged d1 d2 d3
stop_hub
echo ok
