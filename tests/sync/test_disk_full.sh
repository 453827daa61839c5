#!/usr/bin/env bash
# A device whose disk fills up during a pull (a file size limit, SIGXFSZ
# ignored, so writes fail): `sambang sync` exits 6, the code of a store
# that cannot be written, naming the store, whether it runs the cycle
# itself (--once) or through sambangd; the store stays sound (check
# passes) with the pages committed before; once there is room, the next
# sync pulls the rest and the device holds exactly the hub's records.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol d1
enrol d2
enrol d3
notes_jsonl n 3000 >"$WORK/n.jsonl"
dev d1 import "$WORK/n.jsonl" >/dev/null || fail "import on d1 failed"
sync_once d1
trap '' XFSZ

CASE="sync --once"
set +e
(
  ulimit -S -f 600 # KiB: a few pages of the ~1.3 MB the pull writes
  exec env SAMBANG_DB="$WORK/d2.db" "$SAMBANG" sync --once
) >"$OUT" 2>"$ERR"
rc=$?
set -e
[ "$rc" = 6 ] || fail "a pull onto a full disk must exit 6, got $rc: $(cat "$ERR")"
grep -q "$WORK/d2.db" "$ERR" || fail "the error must name the store: $(cat "$ERR")"
dev d2 check >"$OUT" 2>"$ERR" || fail "the store must stay sound: $(cat "$ERR")"
n=$(dev d2 export | wc -l)
[ "$n" -lt 3000 ] || fail "the limit must stop the pull (it got all $n)"
sync_once d2
expect_converged d1 d2

CASE="through sambangd"
ulimit -S -f 600
start_daemon d3
ulimit -S -f unlimited
set +e
dev d3 sync >"$OUT" 2>"$ERR"
rc=$?
set -e
[ "$rc" = 6 ] || fail "sambang sync through a daemon on a full disk must exit 6, got $rc: $(cat "$ERR")"
grep -q "$WORK/d3.db" "$ERR" || fail "the error must name the store: $(cat "$ERR")"
stop_daemon d3
dev d3 check >"$OUT" 2>"$ERR" || fail "the store must stay sound: $(cat "$ERR")"
start_daemon d3
dev d3 sync >"$OUT" 2>"$ERR" || fail "sync after room was made failed: $(cat "$ERR")"
stop_daemon d3
expect_converged d1 d3
stop_hub
echo ok
