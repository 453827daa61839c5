#!/usr/bin/env bash
# A hub's store and a field device's store share one layout, never one
# use: sambang refuses a hub's store and sambang-hub a device's (exit 6,
# a message naming the file and whose it is), each file left exactly as
# it was. Stores made before the mark are told apart by what they hold
# (a device's hub address; a hub's devices).
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || fail "sqlite3 is needed"
expect_hub_ok init
expect_hub_ok device add d1 --scope all
dev d init --server http://127.0.0.1:9 --token "$(cat "$OUT")" >/dev/null ||
  fail "sambang init failed"
printf '{"collection":"beneficiary","id":"x","fields":{"groups":["anak"],"kecamatan":"Setu","consent":false}}\n' \
  >"$WORK/one.jsonl"

# device_refuses HUBDB TEXT: every sambang command refuses the hub's store.
device_refuses() {
  local args
  cp "$1" "$WORK/copy"
  for args in "list beneficiary" "beneficiary add --group anak --kecamatan Setu --consent no" \
    "import $WORK/one.jsonl" "export" "status" "check" "recover"; do
    set +e
    # shellcheck disable=SC2086 # words split on purpose
    "$SAMBANG" --db "$1" $args >"$OUT" 2>"$ERR"
    RC=$?
    set -e
    [ "$RC" -eq 6 ] || fail "sambang $args on a hub's store: exit $RC, want 6"
    grep -qF "$2" "$ERR" || fail "sambang $args: $(cat "$ERR")"
    cmp -s "$1" "$WORK/copy" || fail "sambang $args changed the hub's store"
  done
}

# hub_refuses DEVDB TEXT: every sambang-hub command refuses a device's store.
hub_refuses() {
  local args
  cp "$1" "$WORK/copy"
  for args in "device add x --scope all" "device list" "export" "conflicts" \
    "serve --listen 127.0.0.1:0"; do
    # shellcheck disable=SC2086 # words split on purpose
    expect_hub_fail 6 --db "$1" $args
    grep -qF "$2" "$ERR" || fail "sambang-hub $args: $(cat "$ERR")"
    cmp -s "$1" "$WORK/copy" || fail "sambang-hub $args changed the device's store"
  done
  hub --db "$1" user add eve --role admin <<<'a-long-password'
  [ "$RC" -eq 6 ] || fail "user add on a device's store: exit $RC"
}

# triggers FILE: the names of the store's triggers, sorted, on one line.
triggers() {
  sqlite3 "$1" "SELECT coalesce(group_concat(name, ' '), '') FROM (SELECT name
    FROM sqlite_master WHERE type = 'trigger' ORDER BY name)"
}
CASE="each role's layout"
# A device's pending marks follow their rows by two triggers; a hub never
# marks a row pending and does without them (common/store_role.c).
both="records_pending_gone records_pending_moves"
[ -z "$(triggers "$SAMBANG_HUB_DB")" ] ||
  fail "a new hub's store has a device's triggers: $(triggers "$SAMBANG_HUB_DB")"
[ "$(triggers "$WORK/d.db")" = "$both" ] ||
  fail "a new device's store has triggers '$(triggers "$WORK/d.db")'"
# A hub's store made by an older hub (the triggers there) loses them when
# the hub opens it; a device's store that lost one gets it back.
sqlite3 "$SAMBANG_HUB_DB" "$(sqlite3 "$WORK/d.db" \
  "SELECT group_concat(sql, ';') FROM sqlite_master WHERE type = 'trigger'")"
[ "$(triggers "$SAMBANG_HUB_DB")" = "$both" ] || fail "the setup failed"
expect_hub_ok device list
[ -z "$(triggers "$SAMBANG_HUB_DB")" ] ||
  fail "the hub kept a device's triggers: $(triggers "$SAMBANG_HUB_DB")"
sqlite3 "$WORK/d.db" "DROP TRIGGER records_pending_moves"
dev d status >/dev/null || fail "sambang status failed"
[ "$(triggers "$WORK/d.db")" = "$both" ] ||
  fail "the device did not make its trigger again: '$(triggers "$WORK/d.db")'"

CASE="marked stores"
device_refuses "$SAMBANG_HUB_DB" "$SAMBANG_HUB_DB is a hub's store"
hub_refuses "$WORK/d.db" "$WORK/d.db is a field device's store"

CASE="stores made before the mark"
sqlite3 "$SAMBANG_HUB_DB" "DELETE FROM meta WHERE key = 'store.role'"
sqlite3 "$WORK/d.db" "DELETE FROM meta WHERE key = 'store.role'"
device_refuses "$SAMBANG_HUB_DB" "$SAMBANG_HUB_DB is a hub's store"
hub_refuses "$WORK/d.db" "$WORK/d.db is a field device's store"

CASE="each program still opens its own"
expect_hub_ok device list
grep -q '^d1' "$OUT" || fail "the hub lost its device"
dev d beneficiary add --group anak --kecamatan Setu --consent no >/dev/null ||
  fail "the device cannot write its own store"
echo "ok"
