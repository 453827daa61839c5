#!/usr/bin/env bash
# A device's store copied to a second machine (an SD card imaged after
# `sambang init`, a laptop's home copied): both copies write as one
# device, under one replica id and one token. The push chain
# (PROTOCOL.md, "Push chain") lets the hub take pushes from one store
# only: the second copy to push after they part is refused whole
# (copied_store), before anything merges, even where its writes carry
# only dots above the hub's (the case that used to replace the first
# copy's write without a conflict). The refused copy keeps its edits; the
# way on is its own enrolment (export, init, import), and its edits then
# meet the first copy's as a conflict, nothing lost.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol d1
ben d1 b1 Setu
sync_once d1
cp "$WORK/d1.db" "$WORK/copy.db"
cp "$WORK/d1.db.token" "$WORK/copy.db.token"

# d1 edits once; the copy twice, so its dots all run above the hub's.
dev d1 put beneficiary b1 '{"contact":"0812-d1"}' >/dev/null ||
  fail "edit on d1 failed"
dev copy put beneficiary b1 '{"contact":"0812-copy-1"}' >/dev/null ||
  fail "edit on the copy failed"
dev copy put beneficiary b1 '{"contact":"0812-copy-2"}' >/dev/null ||
  fail "second edit on the copy failed"
dev copy put beneficiary b2 '{"consent":true,"groups":["miskin"],"kecamatan":"Setu","name":"Ibu b2"}' \
  >/dev/null || fail "new record on the copy failed"
ben copy b9 Setu
dev copy rm beneficiary b9 >/dev/null || fail "delete on the copy failed"
sync_once d1
before=$(hub_export | sha256sum)

rc=0
dev copy sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 1 ] || fail "the copy's sync exited $rc, not 1: $(cat "$ERR")"
grep -q 'copied_store' "$ERR" ||
  fail "the copy's sync does not name the refusal: $(cat "$ERR")"
grep -q 'another store writes as this device' "$ERR" ||
  fail "the refusal does not say what happened: $(cat "$ERR")"
[ "$(hub_export | sha256sum)" = "$before" ] ||
  fail "the refused push changed the hub"
grep -q 'refused' "$WORK/hub.log" || fail "the hub did not log the refusal"
dev copy status >"$OUT" 2>&1 || true
grep -q 'unsynced changes: 3' "$OUT" ||
  fail "status does not show the copy's edits still to push: $(cat "$OUT")"
grep -q '^last sync: .*copied_store' "$OUT" ||
  fail "status, no daemon running, does not say why the sync stopped: $(cat "$OUT")"

# Nothing of the copy merged; it keeps its edits, still to push.
hub_export | grep -q '0812-d1"' || fail "d1's edit is not on the hub"
hub_export | grep -q '0812-copy' && fail "the copy's edit reached the hub"
dev copy get beneficiary b1 >"$OUT"
grep -q '0812-copy-2' "$OUT" || fail "the copy lost its own edit: $(cat "$OUT")"
# d1, whose pushes the hub took, goes on syncing.
dev d1 put beneficiary b1 '{"contact":"0812-d1-again"}' >/dev/null ||
  fail "a further edit on d1 failed"
sync_once d1
# A retry of the copy is refused again, whatever it carries.
rc=0
dev copy sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" != 0 ] || fail "the copy's second sync succeeded"

req GET /metrics
grep -q '^sambang_hub_pushes_copied_total 2$' "$BODY" ||
  fail "/metrics does not count the two refused pushes: $(grep copied "$BODY")"
# The office's devices view flags d1: two stores write as it.
printf 'viewer-pass-1\n' | "$HUB" user add vika --role viewer >/dev/null ||
  fail "user add vika"
office_session vika viewer-pass-1
req GET /api/devices -b "$WORK/vika.jar"
grep -q '"name":"d1",[^}]*"copied_ms":[0-9]' "$BODY" ||
  fail "the devices view does not flag d1 as copied: $(cat "$BODY")"

# The way on: the copy's records moved into a store of its own enrolment;
# its edit and d1's meet as a conflict, neither lost.
dev copy export --unsynced >"$WORK/copy.jsonl" 2>"$ERR" ||
  fail "export --unsynced from the copy failed"
grep -q '1 deleted records not printed' "$ERR" ||
  fail "export --unsynced does not count the deleted record: $(cat "$ERR")"
[ "$(wc -l <"$WORK/copy.jsonl")" = 2 ] ||
  fail "export --unsynced did not print the copy's two changed records: $(cat "$WORK/copy.jsonl")"
grep -q '"0812-copy-2"' "$WORK/copy.jsonl" ||
  fail "export --unsynced lacks the copy's edit: $(cat "$WORK/copy.jsonl")"
dev d1 export --unsynced >"$OUT" || fail "export --unsynced on d1 failed"
[ -s "$OUT" ] && fail "d1, all synced, printed records: $(cat "$OUT")"
rc=0
dev d1 export --bogus >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 2 ] || fail "export --bogus exited $rc, not 2"
grep -q -- '--bogus' "$ERR" || fail "the error does not name the option"
enrol c2
dev c2 import "$WORK/copy.jsonl" >/dev/null || fail "import into c2 failed"
sync_once c2
sync_once d1
hub_export >"$OUT"
grep -q '"id":"b2"' "$OUT" || fail "the copy's new record did not reach the hub"
"$HUB" conflicts >"$OUT" || fail "sambang-hub conflicts failed"
grep -q 'b1' "$OUT" || fail "the two copies' edits of b1 are no conflict: $(cat "$OUT")"
hub_export | grep -q '0812-copy-2' || fail "the copy's edit is lost at the hub"

# A device's store put back from its own older copy, after it pushed
# since: to the hub it is a copy (refused). No other store goes on as d1
# here, so the office rotates d1's token; the store takes it and
# `sambang recover` rebuilds it from the hub (the device's own writes come
# back, its clock past them), and the edit made meanwhile is kept.
cp "$WORK/d1.db" "$WORK/d1.old.db"
dev d1 put beneficiary b1 '{"contact":"0812-before-put-back"}' >/dev/null || fail "edit on d1"
sync_once d1
cp "$WORK/d1.old.db" "$WORK/d1.db"
rm -f "$WORK/d1.db-wal" "$WORK/d1.db-shm"
dev d1 put beneficiary b2 '{"contact":"0812-on-old-copy"}' >/dev/null || fail "edit on the old copy"
rc=0
dev d1 sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 1 ] && grep -q copied_store "$ERR" ||
  fail "the store put back was not refused as a copy ($rc): $(cat "$ERR")"
"$HUB" device rotate d1 >"$WORK/d1.newtok" || fail "device rotate d1"
dev d1 token set --file "$WORK/d1.newtok" >/dev/null || fail "token set on d1"
dev d1 recover >"$OUT" 2>"$ERR" || fail "recover on d1: $(cat "$ERR")"
sync_once d1
hub_export | grep -q '0812-on-old-copy' || fail "the edit made on the old copy is lost"
hub_export | grep -q '0812-before-put-back' || fail "d1's earlier edit is lost"

# An offline device: its sync draws a chain value that never reaches the
# hub, and drops it, so a copy of its store made then does not hold the
# value the device's next sync moves the hub to.
port=${URL##*:}
stop_hub
dev d1 put beneficiary b1 '{"contact":"0812-offline"}' >/dev/null || fail "edit on d1"
rc=0
dev d1 sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 1 ] && grep -q 'unreachable' "$ERR" ||
  fail "d1's sync with no hub exited $rc: $(cat "$ERR")"
[ -z "$(sqlite3 "$WORK/d1.db" "select value from meta where key = 'sync.push_chain_next'")" ] ||
  fail "the offline sync kept the chain value it drew"
cp "$WORK/d1.db" "$WORK/offline-copy.db"
cp "$WORK/d1.db.token" "$WORK/offline-copy.db.token"
start_hub_at "$port"
for n in 1 2 3; do
  dev offline-copy put beneficiary b1 "{\"contact\":\"0812-offline-copy-$n\"}" >/dev/null ||
    fail "edit on the offline copy"
done
sync_once d1
rc=0
dev offline-copy sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 1 ] && grep -q copied_store "$ERR" ||
  fail "the copy made offline was not refused ($rc): $(cat "$ERR")"
hub_export | grep -q '0812-offline"' || fail "d1's offline edit is not on the hub"
hub_export | grep -q '0812-offline-copy' && fail "the offline copy's edit reached the hub"

# Not a copy: the hub's store went back (put back from a copy without
# `sambang-hub restored`), and its push chains with it. d1, which pushed
# since, starts its sync with a push: its cursor is past the feed, so the
# hub follows d1's chain instead of refusing it.
port=${URL##*:}
copy_store "$WORK/hub.copy"
dev d1 put beneficiary b1 '{"contact":"0812-after-copy"}' >/dev/null || fail "edit on d1"
sync_once d1
stop_hub
put_back "$WORK/hub.copy"
start_hub_at "$port"
dev d1 put beneficiary b1 '{"contact":"0812-after-put-back"}' >/dev/null || fail "edit on d1"
rc=0
dev d1 sync --once >"$OUT" 2>"$ERR" || rc=$?
grep -q copied_store "$ERR" && fail "d1, whose hub went back, is taken for a copy: $(cat "$ERR")"
grep -q "its cursor [0-9]* is past this store's feed" "$WORK/hub.log" ||
  fail "the hub did not follow d1's chain, its cursor past the feed"
hub_export | grep -q '0812-after-put-back' || fail "d1's edit is not on the hub"
stop_hub
echo ok
