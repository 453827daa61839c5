#!/usr/bin/env bash
# Consent withdrawal wins, everywhere (common/DESIGN.md): device a
# withdraws a beneficiary's consent while b, concurrently, edits the name
# and c the kelurahan, in both push orders; a also deletes another one;
# and c gives consent again while b's concurrent name edit is on its way. After two sync rounds every
# export is the hub's byte for byte, no device has unsynced or refused
# records, the kelurahan edit is kept, and no replica shows the name. The
# old names are then in no byte of the hub's store files (the hub keeps
# its store open: the WAL is there; on PostgreSQL, the cluster's files
# once `sambang-hub compact` ran) nor of the devices'.
. "$(dirname "$0")/lib.sh"

# hub_files_holding TEXT: the hub store's files whose bytes hold TEXT (on
# PostgreSQL, the cluster's: old row versions stay there until
# `sambang-hub compact`, which needs wal_recycle = off).
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  pg_sql postgres "ALTER SYSTEM SET wal_recycle = off" >/dev/null
  pg_sql postgres "SELECT pg_reload_conf()" >/dev/null
  hub_files_holding() { grep -r -a -l -F -- "$1" "$PG_DIR/data" || true; }
else
  hub_files_holding() {
    grep -a -l -F -- "$1" "$SAMBANG_HUB_DB" "$SAMBANG_HUB_DB-wal" \
      "$SAMBANG_HUB_DB-shm" 2>/dev/null || true
  }
fi

expect_hub_ok init
start_hub
for d in a b c; do enrol "$d"; done

# add DEVICE NAME KELURAHAN: a new beneficiary with consent; prints its id.
add() {
  dev "$1" beneficiary add --name "$2" --contact "0813-$3" --consent yes \
    --group perempuan --kecamatan Serpong --kelurahan "$3" ||
    fail "beneficiary add on $1 failed"
}

round() {
  local d
  for d in "$@"; do sync_once "$d"; done
}

# Case 1: a pushes its withdrawal first. Case 2: b pushes its name first.
X=$(add a "Ratna Wulandari" Rawabuntu)
Y=$(add a "Suryani Hutapea" Lengkong)
round a b c
[ -n "$(hub_files_holding Suryani)" ] ||
  fail "the scan does not see a name the hub holds"
dev a beneficiary edit "$X" --consent no >/dev/null || fail "withdraw X on a"
dev b beneficiary edit "$X" --name "Ratna Wulandari Sari" >/dev/null ||
  fail "name edit of X on b"
dev c beneficiary edit "$X" --kelurahan Ciater >/dev/null || fail "c edits X"
# Y is deleted (no concurrent edit): its name must leave the disk too.
dev a rm beneficiary "$Y" >/dev/null || fail "rm Y on a"

round a b c
round a b c
expect_converged a b c

# Case 2, b first: a fresh record, b pushes its name edit before a's
# withdrawal reaches the hub.
Z=$(add a "Wening Prameswari" Pondok)
round a b c
dev a beneficiary edit "$Z" --consent no >/dev/null || fail "withdraw Z on a"
dev b beneficiary edit "$Z" --name "Wening P." >/dev/null || fail "name Z on b"
dev c beneficiary edit "$Z" --kelurahan Jombang >/dev/null || fail "c edits Z"
round b c a
round b c a
expect_converged a b c

# Case 3, consent given again: c sees a's withdrawal and re-consents
# while b, offline, edits the name without having seen the withdrawal. In
# either order of b's and c's pushes the name b wrote is erased (it never
# saw the withdrawal, which the state keeps: common/DESIGN.md), consent
# stays given, and a name written after the re-consent is kept.
for order in "c b a" "b c a"; do
  W=$(add a "Tri Handayani" Kademangan)
  round a b c
  dev a beneficiary edit "$W" --consent no >/dev/null || fail "withdraw W on a"
  round a c
  dev c beneficiary edit "$W" --consent yes >/dev/null || fail "re-consent on c"
  dev b beneficiary edit "$W" --name "Tri Handayani W." >/dev/null ||
    fail "name W on b"
  # shellcheck disable=SC2086 # the order is three words
  round $order
  # shellcheck disable=SC2086
  round $order
  expect_converged a b c
  for d in a b c; do
    dev "$d" beneficiary show "$W" >"$OUT" || fail "show W on $d"
    grep -q 'Tri' "$OUT" && fail "$d shows the name b wrote ($order): $(cat "$OUT")"
    grep -q '^consent: *yes' "$OUT" || fail "consent lost on $d: $(cat "$OUT")"
  done
  dev c beneficiary edit "$W" --name "Tri Wahyuni" >/dev/null || fail "new name"
  round c a b
  round c a b
  expect_converged a b c
  dev b beneficiary show "$W" >"$OUT" || fail "show W on b"
  grep -q 'Tri Wahyuni' "$OUT" || fail "the name given after consent is lost"
done

for d in a b c; do
  dev "$d" status >"$OUT" || fail "status on $d"
  grep -q '^unsynced changes: 0$' "$OUT" || fail "$d has unsynced changes"
  grep -q 'rejected' "$OUT" && fail "$d has records the hub refused"
  dev "$d" conflicts >"$OUT" || fail "conflicts on $d"
  grep -q 'rejected' "$OUT" && fail "$d lists refused records"
  for id in "$X" "$Z"; do
    dev "$d" beneficiary show "$id" >"$OUT" || fail "show $id on $d"
    grep -q 'Ratna\|Suryani\|Wening\|0813-' "$OUT" &&
      fail "$d still shows a withdrawn name or contact"
  done
done
for f in Ratna Suryani Wening 0813-; do
  grep -q -- "$f" "$WORK/hub.export" && fail "the hub exports \"$f\""
done
for k in Ciater Jombang; do
  grep -q "\"$k\"" "$WORK/hub.export" || fail "the kelurahan edit $k was lost"
done

# Erasure reaches the disk, on the hub (running, its WAL open; on
# PostgreSQL once compact ran) and on every device.
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  expect_hub_ok compact
  grep -qx 'log: cleared' "$OUT" || fail "compact must clear the WAL"
else
  [ -e "$SAMBANG_HUB_DB-wal" ] || fail "the hub's WAL is not there to check"
fi
for text in Ratna Suryani Wening 0813- "Tri Handayani"; do
  held=$(hub_files_holding "$text")
  [ -z "$held" ] || fail "\"$text\" is still in the bytes of $held"
done
for f in "$WORK"/[abc].db "$WORK"/[abc].db-wal "$WORK"/[abc].db-shm; do
  [ -e "$f" ] || continue
  for text in Ratna Suryani Wening 0813- "Tri Handayani"; do
    [ "$(grep -c -a -- "$text" "$f" || true)" = 0 ] ||
      fail "\"$text\" is still in the bytes of $f"
  done
done
echo ok
