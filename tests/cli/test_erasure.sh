#!/usr/bin/env bash
# Erasure reaches the disk (common/DESIGN.md, "Erasure"): after consent is
# withdrawn (`beneficiary edit ID --consent no`) or a beneficiary is
# deleted, the old name and contact are in no byte of the store's files
# (db, -wal, -shm), even while another process (sambangd) keeps the store
# open, so the WAL is not removed at close.
. "$(dirname "$0")/lib.sh"

: "${SAMBANGD:?set SAMBANGD to the sambangd binary}"

# Counts the files of the store that hold TEXT anywhere in their bytes.
files_holding() {
  local text=$1 f n=0
  for f in "$SAMBANG_DB" "$SAMBANG_DB-wal" "$SAMBANG_DB-shm"; do
    [ -e "$f" ] || continue
    if [ "$(grep -c -a -- "$text" "$f" || true)" != 0 ]; then
      echo "  $text is in $f" >&2
      n=$((n + 1))
    fi
  done
  echo "$n"
}

expect_ok init --server http://127.0.0.1:9 --token t0
# sambangd holds the store open (the hub is unreachable: it backs off).
"$SAMBANGD" --db "$SAMBANG_DB" 2>"$WORK/sambangd.log" &
DAEMON=$!
CLEANUP+=("kill -KILL $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null")
wait_for_wal() { [ -e "$SAMBANG_DB-wal" ]; }
for _ in $(seq 1 200); do
  wait_for_wal && break
  kill -0 "$DAEMON" 2>/dev/null || fail "sambangd exited: $(cat "$WORK/sambangd.log")"
  sleep 0.05
done

expect_ok beneficiary add --name "Zubaidah Kartawinata" --contact "0812-7771-2345" \
  --consent yes --group perempuan --kecamatan Setu --kelurahan Muncul
A=$(cat "$OUT")
expect_ok beneficiary add --name "Marpaung Sitohang" --contact "Jalan Kenanga 17" \
  --consent yes --group anak --kecamatan Pamulang
B=$(cat "$OUT")
# Several edits, so old versions of the rows sit in the WAL and free pages.
for i in 1 2 3; do
  expect_ok beneficiary edit "$A" --kelurahan "Muncul $i"
  expect_ok beneficiary edit "$B" --kelurahan "Benda $i"
done
[ "$(files_holding Zubaidah)" -gt 0 ] || fail "the scan does not see a stored name"
[ "$(files_holding Marpaung)" -gt 0 ] || fail "the scan does not see a stored name"

# Withdrawal: one write clears name and contact, keeps the rest.
expect_ok beneficiary edit "$A" --consent no
expect_ok get beneficiary "$A"
expect_stdout_contains '"consent":false'
expect_stdout_contains '"kelurahan":"Muncul 3"'
grep -q 'Zubaidah\|0812-7771' "$OUT" && fail "the withdrawn name is still shown"
# A personal value without consent is refused, with the way out.
expect_refused 4 'has no consent: personal details (--name) need --consent yes in the same edit' \
  beneficiary edit "$A" --name "Zubaidah K"
expect_ok beneficiary edit "$A" --name "Zubaidah K" --consent yes
expect_ok beneficiary edit "$A" --consent tidak
expect_ok export
grep -q 'Zubaidah' "$OUT" && fail "export shows the withdrawn name"

# Delete.
expect_ok rm beneficiary "$B"

kill -0 "$DAEMON" 2>/dev/null || fail "sambangd exited: $(cat "$WORK/sambangd.log")"
[ -e "$SAMBANG_DB-wal" ] || fail "the WAL is gone: the daemon no longer holds the store"
for text in Zubaidah 0812-7771 Marpaung Sitohang "Jalan Kenanga"; do
  [ "$(files_holding "$text")" = 0 ] || fail "\"$text\" is still on disk"
done
echo "ok"
