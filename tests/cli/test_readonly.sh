#!/usr/bin/env bash
# A read-only store: writes are refused with exit 6, naming the store, and
# the files are left as they were.
. "$(dirname "$0")/lib.sh"
export SAMBANG_DB=$WORK/ro/store.db
expect_ok init
expect_ok put notes a '{"x":1}'
expect_ok export
cp "$OUT" "$WORK/before"
[ ! -e "$SAMBANG_DB-wal" ] || fail "the store should be checkpointed on close"

chmod 0444 "$SAMBANG_DB"
chmod 0555 "$WORK/ro"
CLEANUP+=("chmod 0755 '$WORK/ro'; chmod 0644 '$SAMBANG_DB'")
cp "$SAMBANG_DB" "$WORK/copy"
if [ "$(id -u)" -eq 0 ]; then
  # root ignores file modes: run as nobody against a store it may read.
  chmod 0755 "$WORK"
  chmod 0755 "$WORK/ro"
  run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
  run_as=()
fi
as_user() {
  set +e
  "${run_as[@]+"${run_as[@]}"}" "$SAMBANG" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
}

# shellcheck disable=SC2089 # the quotes are JSON, not shell

for args in "put notes b {\"x\":2}" "rm notes a" "resolve notes a x 2" \
  "beneficiary add --group anak --kecamatan Setu --consent no"; do
  # shellcheck disable=SC2086,SC2090 # words split on purpose
  as_user $args
  check_fail 6 "$args"
  expect_stderr_contains "store $SAMBANG_DB is read-only"
  cmp -s "$SAMBANG_DB" "$WORK/copy" || fail "$args changed the store"
done
printf '{"collection":"notes","id":"c","fields":{"x":3}}\n' >"$WORK/one.jsonl"
chmod 0644 "$WORK/one.jsonl"
as_user import "$WORK/one.jsonl"
check_fail 6 import
expect_stderr_contains "is read-only"

# Back to writable: nothing changed.
chmod 0755 "$WORK/ro"
chmod 0644 "$SAMBANG_DB"
expect_ok export
cmp -s "$OUT" "$WORK/before" || fail "the store changed"

echo "ok"
