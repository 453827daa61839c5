#!/usr/bin/env bash
# A full disk (a file size limit): the import fails with exit 6, naming the
# store, and the store keeps exactly what it had.
. "$(dirname "$0")/lib.sh"
fresh_store
expect_ok put notes a '{"x":1}'
for i in $(seq 1 2000); do
  printf '{"collection":"notes","id":"n%04d","fields":{"text":"%0300d"}}\n' \
    "$i" "$i"
done >"$WORK/big.jsonl"
snapshot

# 100 KiB of file at most; SIGXFSZ ignored, so writes fail with EFBIG.
set +e
(
  trap '' XFSZ
  ulimit -f 100
  exec "$SAMBANG" import "$WORK/big.jsonl"
) >"$OUT" 2>"$ERR"
RC=$?
set -e
check_fail 6 import
expect_stderr_contains "$SAMBANG_DB"
expect_unchanged

# Without the limit the same import works.
expect_ok import "$WORK/big.jsonl"
expect_stdout_is "imported 2000 records"

echo "ok"
