#!/usr/bin/env bash
# Stores that cannot be used: not a sambang store, corrupt, newer. Every
# command refuses with exit 6 and a message naming the file, which is left
# exactly as it was.
. "$(dirname "$0")/lib.sh"

# expect_unusable FILE TEXT: each command refuses FILE, leaving it alone.
expect_unusable() {
  local file=$1 text=$2
  cp "$file" "$WORK/copy"
  # shellcheck disable=SC2089 # the quotes are JSON, not shell
  for args in "put notes a {\"x\":1}" "get notes a" "export" "list notes" \
    "status" "import $WORK/one.jsonl" "beneficiary list"; do
    # shellcheck disable=SC2086,SC2090 # words split on purpose
    expect_fail 6 --db "$file" $args
    expect_stderr_contains "$text"
    cmp -s "$file" "$WORK/copy" || fail "$args changed $file"
  done
  [ ! -e "$file-wal" ] || fail "a -wal file appeared next to $file"
}
printf '{"collection":"notes","id":"a","fields":{"x":1}}\n' >"$WORK/one.jsonl"

# A text file.
printf 'shopping list\nrice\n' >"$WORK/text.db"
expect_unusable "$WORK/text.db" "$WORK/text.db is not a sambang store"

# An empty file (an init cut short leaves one): said so, by init too.
: >"$WORK/empty.db"
expect_unusable "$WORK/empty.db" "$WORK/empty.db is an empty file, not a sambang store (an init cut short?): remove it and init again"
expect_fail 1 --db "$WORK/empty.db" init
expect_stderr_contains "$WORK/empty.db is an empty file, not a store (an init cut short?)"
[ ! -s "$WORK/empty.db" ] || fail "init wrote into the empty file"

# Another program's SQLite database.
sqlite3 "$WORK/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
expect_unusable "$WORK/other.db" "$WORK/other.db is not a sambang store"

# A directory.
mkdir "$WORK/dir.db"
expect_fail 6 --db "$WORK/dir.db" get notes a
expect_stderr_contains "$WORK/dir.db is not a sambang store"

# A store made by a newer sambang (a layout version from the future).
export SAMBANG_DB=$WORK/newer.db
expect_ok init
sqlite3 "$SAMBANG_DB" "PRAGMA user_version = 99"
expect_unusable "$SAMBANG_DB" "layout version 99"

# A corrupt store: a few hundred records, then garbage over the middle.
export SAMBANG_DB=$WORK/corrupt.db
expect_ok init
for i in $(seq 1 300); do
  printf '{"collection":"notes","id":"n%03d","fields":{"text":"%0200d"}}\n' \
    "$i" "$i"
done >"$WORK/many.jsonl"
expect_ok import "$WORK/many.jsonl"
expect_ok export
[ "$(wc -l <"$OUT")" -eq 300 ] || fail "300 records expected"
[ ! -e "$SAMBANG_DB-wal" ] || fail "the store should be checkpointed on close"
bash "$TESTS_DIR/tools/garble_pages.sh" "$SAMBANG_DB"
cp "$SAMBANG_DB" "$WORK/corrupt-copy"
for args in export "list notes" status conflicts; do
  # shellcheck disable=SC2086,SC2090 # words split on purpose
  expect_fail 6 $args
  expect_stderr_contains "store $SAMBANG_DB is corrupt"
done
cmp -s "$SAMBANG_DB" "$WORK/corrupt-copy" || fail "reading changed the store"

echo "ok"
