#!/usr/bin/env bash
# Tokens at rest: the device token lives in STORE.token (0600) beside the
# store, never in the store file, taken from --token-file F or standard
# input (--token -); an older store's token is moved out of its meta.
. "$(dirname "$0")/lib.sh"

TOKEN=tok-$RANDOM$RANDOM-secret
umask 022

# --token-file F
printf '%s\n' "$TOKEN" >"$WORK/tf"
expect_ok init --server http://127.0.0.1:9 --token-file "$WORK/tf"
[ "$(cat "$SAMBANG_DB.token")" = "$TOKEN" ] || fail "token file not written"
[ "$(stat -c %a "$SAMBANG_DB.token")" = 600 ] || fail "token file not 0600"
expect_ok put notes a '{"x":1}'
n=$(cat "$SAMBANG_DB"* | grep -c -a -- "$TOKEN" || true)
[ "$n" -eq 1 ] || fail "the token is in a store file ($n hits; only .token may hold it)"
grep -q -a -- "$TOKEN" "$SAMBANG_DB" && fail "the token is in the store file"

# --token - reads standard input; the token is not on the command line.
export SAMBANG_DB=$WORK/stdin.db
printf '%s\n' "$TOKEN" >"$WORK/in"
sb_in "$WORK/in" init --token -
check_ok init
[ "$(cat "$SAMBANG_DB.token")" = "$TOKEN" ] || fail "--token - not kept"

# Bad input changes nothing.
export SAMBANG_DB=$WORK/bad.db
expect_fail 2 init --token a --token-file "$WORK/tf"
expect_fail 3 init --token-file "$WORK/missing"
[ ! -e "$SAMBANG_DB" ] && [ ! -e "$SAMBANG_DB.token" ] ||
  fail "a refused init left files"
printf 'two words\n' >"$WORK/bad"
expect_fail 4 init --token-file "$WORK/bad"
expect_stderr_contains "the token ($WORK/bad) must be printable"
: >"$WORK/empty"
expect_fail 4 init --token-file "$WORK/empty"
expect_stderr_contains "no token in $WORK/empty"
sb_in "$WORK/empty" init --token -
check_fail 4 init
expect_stderr_contains "no token in standard input"
expect_fail 4 init --token 'two words'
expect_stderr_contains "the token (--token) must be printable"
expect_fail 4 token set --file "$WORK/empty"
expect_stderr_contains "no token in $WORK/empty"
[ ! -e "$SAMBANG_DB" ] || fail "a refused init left a store"

# An older store kept the token in meta: opening it moves the token out.
export SAMBANG_DB=$WORK/old.db
expect_ok init --server http://127.0.0.1:9
sqlite3 "$SAMBANG_DB" "INSERT INTO meta(key, value) VALUES('token', '$TOKEN')"
grep -q -a -- "$TOKEN" "$SAMBANG_DB" || fail "setup: token not in the old store"
expect_ok status
[ "$(cat "$SAMBANG_DB.token")" = "$TOKEN" ] || fail "token not migrated"
[ "$(stat -c %a "$SAMBANG_DB.token")" = 600 ] || fail "migrated token not 0600"
n=$(cat "$SAMBANG_DB" "$SAMBANG_DB"-* 2>/dev/null | grep -c -a -- "$TOKEN" || true)
[ "$n" -eq 0 ] || fail "the migrated token is still in the store files"
[ -z "$(sqlite3 "$SAMBANG_DB" "SELECT value FROM meta WHERE key='token'")" ] ||
  fail "meta still holds the token"

echo "ok"
