#!/usr/bin/env bash
# A record the hub refuses (its schema says no) stays on the device, marked
# rejected with the hub's reason, shown by `sambang status` and `sambang
# conflicts`, is not sent again until it is edited, and never blocks the
# rest of the sync. A sync that leaves a refused record says so: it
# exits 7, naming the reason.
. "$(dirname "$0")/lib.sh"

# sync_unsynced NAME: one cycle that must complete with records refused.
sync_unsynced() {
  local rc=0
  dev "$1" sync --once >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" = 7 ] || fail "sync --once on $1 exited $rc, not 7: $(cat "$ERR")"
  grep -q 'refused' "$ERR" || fail "sync --once on $1 does not say why"
}

expect_hub_ok init
start_hub
# d1's own schema knows no collections (everything free-form), so it can
# write a beneficiary the hub's schema refuses: a kecamatan outside the
# enum (the hub checks each value a push writes, not record rules).
token=$("$HUB" device add d1 --scope all)
echo '{"version":1,"collections":{}}' >"$WORK/lax.json"
dev d1 init --schema "$WORK/lax.json" --server "$URL" --token "$token" \
  >/dev/null || fail "init failed"
dev d1 put notes ok1 '{"text":"fine"}' >/dev/null
dev d1 put beneficiary bad1 '{"kecamatan":"Atlantis"}' >/dev/null ||
  fail "cannot write the record the hub will refuse"
dev d1 put notes ok2 '{"text":"also fine"}' >/dev/null

sync_unsynced d1
grep -q 'rejected 1' "$OUT" || fail "sync does not report the rejection"
grep -q 'bad1.*schema' "$ERR" || fail "sync does not name the refusal: $(cat "$ERR")"
"$HUB" export >"$WORK/hub.export"
grep -q '"ok1"' "$WORK/hub.export" && grep -q '"ok2"' "$WORK/hub.export" ||
  fail "the good records did not reach the hub"
grep -q '"bad1"' "$WORK/hub.export" && fail "the refused record reached the hub"
dev d1 status >"$OUT"
grep -q 'rejected by the hub: 1' "$OUT" || fail "status does not show it"
# export --unsynced prints the refused record (and only it), as import
# reads it.
dev d1 export --unsynced >"$OUT" 2>"$ERR" || fail "export --unsynced failed: $(cat "$ERR")"
[ "$(cat "$OUT")" = '{"collection":"beneficiary","fields":{"kecamatan":"Atlantis"},"id":"bad1"}' ] ||
  fail "export --unsynced does not print the refused record alone: $(cat "$OUT")"
dev d1 conflicts >"$OUT"
grep -q 'bad1' "$OUT" || fail "conflicts does not list the rejected record"
grep -q 'schema' "$OUT" || fail "conflicts does not give the hub's reason"

# Not sent again unchanged.
sync_unsynced d1
grep -q 'pushed 0' "$OUT" || fail "an unchanged rejected record was resent"

# Edited: sent again (and accepted now).
dev d1 put beneficiary bad1 \
  '{"consent":true,"groups":["perempuan"],"kecamatan":"Setu"}' >/dev/null
sync_once d1
"$HUB" export | grep -q '"bad1"' || fail "the edited record was not accepted"
dev d1 status >"$OUT"
grep -q 'rejected' "$OUT" && fail "the accepted record is still rejected"

# Two concurrent 600 KB edits of one record: the hub refuses the merge
# (too_large), and the device cannot hold it either; the device keeps its
# own version marked, and the feed goes on past it (d2's small note
# arrives).
enrol d2
big() { head -c 600000 /dev/zero | tr '\0' "$1" | sed 's/.*/{"text":"&"}/'; }
sync_once d1
sync_once d2
big a | dev d1 put notes huge - >/dev/null || fail "big put on d1"
big b | dev d2 put notes huge - >/dev/null || fail "big put on d2"
dev d2 put notes small '{"text":"after the big one"}' >/dev/null
sync_once d2
sync_unsynced d1
dev d1 get notes small >/dev/null || fail "the feed stopped at the big record"
# The pulled merge is the device's own refusal, not the hub's: conflicts
# says so, and the next sync's summary does not blame the hub alone.
dev d1 conflicts >"$OUT"
grep -q '^notes	huge	(not merged on this device) merge_failed ' "$OUT" ||
  fail "huge is not marked: $(cat "$OUT")"
dev d1 status >"$OUT"
grep -q '^not merged on this device: 1 (see `sambang conflicts`)$' "$OUT" ||
  fail "status does not count huge as not merged: $(cat "$OUT")"
grep -q 'rejected by the hub' "$OUT" && fail "status blames the hub: $(cat "$OUT")"
dev d1 --json status >"$OUT"
grep -q '"rejected":1,' "$OUT" && grep -q '"not_merged":1,' "$OUT" ||
  fail "status --json: $(cat "$OUT")"
sync_unsynced d1
grep -q '1 record(s) kept on this device marked rejected (refused by the hub, or a pulled state not merged here)' "$ERR" ||
  fail "the sync's summary does not say what rejected means: $(cat "$ERR")"

# Many small batches (the next one is read while the hub works on the
# one in flight): refusals inside them leave every other record pushed,
# and nothing pending behind.
printf 'batch = 2\n' >"$WORK/small.conf"
for i in 1 2 3 4 5 6 7 8 9; do
  case $i in
  4 | 7) dev d1 put beneficiary "b$i" '{"kecamatan":"Atlantis"}' ;;
  *) dev d1 put notes "n$i" "{\"text\":\"note $i\"}" ;;
  esac >/dev/null || fail "put $i on d1"
done
rc=0
dev d1 sync --once --config "$WORK/small.conf" >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "small batches: exited $rc: $(cat "$ERR")"
grep -q 'pushed 7,' "$OUT" || fail "small batches: $(cat "$OUT")"
"$HUB" export >"$WORK/hub.export"
for i in 1 2 3 5 6 8 9; do
  grep -q "\"n$i\"" "$WORK/hub.export" || fail "n$i did not reach the hub"
done
grep -q '"b4"\|"b7"' "$WORK/hub.export" && fail "a refused record reached the hub"
dev d1 sync --once --config "$WORK/small.conf" >"$OUT" 2>"$ERR" || true
grep -q 'pushed 0,' "$OUT" || fail "records left pending: $(cat "$OUT")"

# A batch the hub refuses whole (over its 16 MiB body limit) while the
# batch before it may still be at the hub: that one's answer is applied
# (none of its rows is sent again: the hub finds no record it already
# holds), the push goes on in halves from the refused batch's first row,
# and every record arrives.
printf 'batch = 30\n' >"$WORK/big.conf"
for i in $(seq 1 30); do echo "{\"collection\":\"notes\",\"id\":\"s$i\",\"fields\":{\"text\":\"small $i\"}}"; done >"$WORK/rows"
pad=$(head -c 600000 /dev/zero | tr '\0' 'x')
for i in $(seq 1 30); do echo "{\"collection\":\"notes\",\"id\":\"L$i\",\"fields\":{\"text\":\"$i$pad\"}}"; done >>"$WORK/rows"
enrol d3
dev d3 import "$WORK/rows" >/dev/null || fail "import of the large rows: $(cat "$ERR")"
unchanged=$(metric sambang_hub_records_unchanged_total)
[ -n "$unchanged" ] || fail "no sambang_hub_records_unchanged_total in /metrics"
dev d3 sync --once --config "$WORK/big.conf" >"$OUT" 2>"$ERR" ||
  fail "a batch over the limit: $(cat "$ERR")"
grep -q 'pushed 60,' "$OUT" || fail "a batch over the limit: $(cat "$OUT")"
now=$(metric sambang_hub_records_unchanged_total)
[ "$now" = "$unchanged" ] ||
  fail "rows the hub held were sent again: $unchanged unchanged records before, $now after"
"$HUB" export >"$WORK/hub.export"
n=$(grep -c '"id":"[sL][0-9]*"' "$WORK/hub.export")
[ "$n" = 60 ] || fail "$n of the 60 records reached the hub"

# A row the hub cannot read (damaged on the device: a state no writer
# makes) is refused with the whole batch, naming it; the batch is split
# until that one row is alone, which is kept marked rejected with the
# hub's reason, and every other row arrives.
enrol d4
for i in 1 2 3 4 5; do
  dev d4 put notes "m$i" "{\"text\":\"note $i\"}" >/dev/null || fail "put m$i on d4"
done
sqlite3 "$WORK/d4.db" "UPDATE records SET state = replace(state, '\"deleted\":false', '\"deleted\":\"no\"') WHERE id = 'm3'"
sync_unsynced d4
grep -q 'pushed 4,' "$OUT" || fail "the damaged row held back others: $(cat "$OUT")"
grep -q 'm3: malformed.*"deleted" must be true or false' "$ERR" ||
  fail "the refusal does not name the row and the reason: $(cat "$ERR")"
"$HUB" export >"$WORK/hub.export"
for i in 1 2 4 5; do
  grep -q "\"m$i\"" "$WORK/hub.export" || fail "m$i did not reach the hub"
done
grep -q '"m3"' "$WORK/hub.export" && fail "the damaged row reached the hub"
sync_unsynced d4
grep -q 'pushed 0,' "$OUT" || fail "the damaged row was sent again unchanged: $(cat "$OUT")"
# check finds it (SQLite's pages are sound: it reads every record), and
# recover rebuilds the store without it.
rc=0
dev d4 check >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 6 ] || fail "check on a store with a damaged row exited $rc: $(cat "$OUT" "$ERR")"
grep -q '^record notes/m3 cannot be read (.*"deleted" must be true or false)$' "$OUT" ||
  fail "check does not name the damaged row: $(cat "$OUT")"
rc=0
dev d4 put notes m6 '{"text":"after"}' >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 6 ] || fail "a write to a store check found damaged exited $rc"
dev d4 recover >"$OUT" 2>"$ERR" || fail "recover: $(cat "$ERR")"
dev d4 check >"$OUT" 2>"$ERR" || fail "check after recover: $(cat "$OUT" "$ERR")"
dev d4 status >"$OUT" || fail "status after recover"
for i in 1 2 4 5; do
  dev d4 get notes "m$i" >/dev/null || fail "m$i is not in the recovered store"
done
stop_hub
echo ok
