# lib.sh - helpers for the CLI tests (sourced by tests/cli/test_*.sh).
#
# Each test script runs the real binary ($SAMBANG) against a fresh store
# in its own temporary directory ($WORK, removed at exit). A helper that
# finds a mismatch prints what it saw and exits non-zero, which fails the
# ctest entry.
#
#   sb ARGS...                     run sambang; $RC, $OUT and $ERR hold the result
#   expect_ok ARGS...              exit 0 and nothing on stderr
#   expect_fail CODE ARGS...       exit CODE and one "sambang: ..." line on stderr
#   expect_stderr_contains TEXT    the last stderr holds TEXT
#   expect_stdout_contains TEXT    the last stdout holds TEXT
#   expect_stdout_is TEXT          the last stdout is exactly TEXT (+ newline)
#   snapshot / expect_unchanged    `sambang export` is byte-identical since snapshot
#   expect_refused CODE TEXT ARGS...  all of: snapshot, expect_fail, message, unchanged
set -euo pipefail

: "${SAMBANG:?set SAMBANG to the sambang binary}"
: "${TESTS_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sambang-cli.XXXXXX")
CLEANUP=()
cleanup() {
  local c
  for c in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do
    eval "$c" || true
  done
  chmod -R u+rwx "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export SAMBANG_DB=$WORK/store.db
unset XDG_DATA_HOME SAMBANG_BUSY_TIMEOUT_MS
# English messages unless a test asks for another language (test_i18n.sh).
export LANG=C.UTF-8
unset LANGUAGE LC_ALL LC_MESSAGES
OUT=$WORK/stdout
ERR=$WORK/stderr
RC=0

fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout:" >&2
  head -c 2000 "$OUT" >&2 || true
  echo "--- stderr:" >&2
  head -c 2000 "$ERR" >&2 || true
  exit 1
}

sb() {
  set +e
  "$SAMBANG" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
}

# sb with standard input from a file: sb_in FILE ARGS...
sb_in() {
  local input=$1
  shift
  set +e
  "$SAMBANG" "$@" <"$input" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
}

check_ok() {
  [ "$RC" -eq 0 ] || fail "expected exit 0 from: sambang $*; got $RC"
  [ ! -s "$ERR" ] || fail "expected nothing on stderr from: sambang $*"
}

check_fail() {
  local code=$1
  shift
  [ "$RC" -eq "$code" ] ||
    fail "expected exit $code from: sambang $*; got $RC"
  [ "$(wc -l <"$ERR")" -eq 1 ] || fail "expected one line on stderr"
  grep -q '^sambang: ' "$ERR" || fail "stderr must start with 'sambang: '"
}

expect_ok() {
  sb "$@"
  check_ok "$@"
}

expect_fail() {
  local code=$1
  shift
  sb "$@"
  check_fail "$code" "$@"
}

expect_stderr_contains() {
  grep -qF -- "$1" "$ERR" || fail "stderr does not contain: $1"
}

expect_stdout_contains() {
  grep -qF -- "$1" "$OUT" || fail "stdout does not contain: $1"
}

expect_stdout_lacks() {
  if grep -qF -- "$1" "$OUT"; then
    fail "stdout contains: $1"
  fi
}

expect_stdout_is() {
  [ "$(cat "$OUT")" = "$1" ] || fail "stdout is not: $1"
}

expect_lines() {
  [ "$(wc -l <"$OUT")" -eq "$1" ] || fail "expected $1 lines on stdout"
}

# The export of the store now, into $WORK/snapshot.
snapshot() {
  "$SAMBANG" export >"$WORK/snapshot" || fail "export failed"
}

expect_unchanged() {
  "$SAMBANG" export >"$WORK/now" || fail "export failed"
  cmp -s "$WORK/snapshot" "$WORK/now" ||
    fail "the store changed (export differs from the snapshot)"
}

# expect_refused CODE TEXT ARGS...: refused with exit CODE, a message
# holding TEXT, and the store unchanged.
expect_refused() {
  local code=$1 text=$2
  shift 2
  snapshot
  expect_fail "$code" "$@"
  expect_stderr_contains "$text"
  expect_unchanged
}

# The same with standard input from FILE: expect_refused_in FILE CODE TEXT ARGS...
expect_refused_in() {
  local input=$1 code=$2 text=$3
  shift 3
  snapshot
  sb_in "$input" "$@"
  check_fail "$code" "$@"
  expect_stderr_contains "$text"
  expect_unchanged
}

# A new empty store at $SAMBANG_DB (the old one removed).
fresh_store() {
  rm -f "$SAMBANG_DB" "$SAMBANG_DB-wal" "$SAMBANG_DB-shm"
  expect_ok init
}

# Waits (up to 20 s) until the file $1 exists.
wait_for_file() {
  local n=0
  until [ -e "$1" ]; do
    n=$((n + 1))
    [ "$n" -lt 2000 ] || fail "timed out waiting for $1"
    sleep 0.01
  done
}
