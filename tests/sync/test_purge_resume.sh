#!/usr/bin/env bash
# A re-sync after a purge is resumable (issue 12): a device behind the
# purge horizon that is killed midway through re-downloading its scope
# resumes from its cursor on the next sync (no second wipe: it pulls only
# what it lacks), ends holding its whole scope and no purged record, and
# its re-sync mark is cleared.
. "$(dirname "$0")/lib.sh"

N=1000
meta() { # meta DEVICE KEY: the device's meta value (empty if none)
  sqlite3 "file:$WORK/$1.db?mode=ro" "SELECT value FROM meta WHERE key = '$2'" 2>/dev/null
}
rows() { sqlite3 "file:$WORK/$1.db?mode=ro" "SELECT count(*) FROM records"; }
midway() { [ "$(meta late sync.resync)" = 1 ] && [ "$(meta late pull_cursor)" -gt 0 ]; }

expect_hub_ok init
start_hub
enrol office all
enrol late Setu
for ((i = 0; i < N; i++)); do
  printf '{"collection":"beneficiary","id":"x%04d","fields":{"consent":true,"groups":["miskin"],"kecamatan":"Setu","name":"Ibu x%04d"}}\n' "$i" "$i"
done >"$WORK/import.jsonl"
dev office import "$WORK/import.jsonl" >/dev/null || fail "import"
sync_once office
sync_once late
dev office rm beneficiary x0000 >/dev/null || fail "rm"
sync_once office
sync_once office
"$HUB" device revoke late >/dev/null 2>&1 || fail "revoke"
"$HUB" purge --older-than 0 >"$OUT" 2>"$ERR" || fail "purge: $(cat "$ERR")"
grep -q '^purged 1,' "$OUT" || fail "purge: $(cat "$OUT")"
"$HUB" device add late --scope Setu >"$WORK/late.tok2" 2>/dev/null || fail "re-enrol"
dev late token set --file "$WORK/late.tok2" 2>/dev/null || fail "token set"

# sambangd re-syncs in small pages; it is killed midway.
printf 'page = 5\nbackoff_min = 1\nbackoff_cap = 1\n' >"$WORK/small.conf"
start_daemon late --config "$WORK/small.conf"
wait_until 20 midway
kill_daemon late
[ "$(meta late sync.resync)" = 1 ] || fail "the re-sync finished before the kill"
held=$(rows late)
[ "$held" -lt $((N - 1)) ] || fail "held $held before the resume"

# The resume pulls only what the device lacks: no second wipe.
sync_once late
pulled=$(sed -n 's/.*pulled \([0-9]*\).*/\1/p' "$OUT")
[ "$pulled" = $((N - 1 - held)) ] ||
  fail "resumed with $held held: pulled $pulled, expected $((N - 1 - held)) ($(cat "$OUT"))"
[ -z "$(meta late sync.resync)" ] || fail "the re-sync mark stays"
[ "$(rows late)" = $((N - 1)) ] || fail "late holds $(rows late) records"
dev late get beneficiary x0000 >/dev/null 2>&1 && fail "late holds the purged x0000"
echo "ok"
