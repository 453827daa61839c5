#!/usr/bin/env bash
# sambangd's and `sambang sync`'s command lines, settings and refusals:
# help, bad options, a missing store or hub, a second daemon, the control
# socket's mode, status through the daemon, SIGHUP with a bad and a good
# config file, SIGTERM, and the CLI working on when no daemon runs.
. "$(dirname "$0")/lib.sh"

# expect_exit CODE CMD...: runs CMD, checks its exit code; stderr in $ERR.
expect_exit() {
  local want=$1 rc=0
  shift
  "$@" >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" -eq "$want" ] || fail "expected exit $want from: $*; got $rc"
}
expect_err() { grep -qF -- "$1" "$ERR" || fail "stderr lacks: $1"; }

expect_exit 0 "$SAMBANGD" --help
grep -q '^usage: sambangd' "$OUT" || fail "--help prints no usage"
expect_exit 0 "$SAMBANGD" --version
expect_exit 2 "$SAMBANGD" --frobnicate
expect_err "unknown option --frobnicate"
expect_exit 2 "$SAMBANGD" --wait
expect_err "--wait needs a value"
expect_exit 2 "$SAMBANGD" --token a --token-file b
expect_exit 6 "$SAMBANGD" --db "$WORK/none.db"
expect_err "$WORK/none.db"
# An option's own mistake is said first (exit 2), the store missing or not.
expect_exit 2 "$SAMBANGD" --db "$WORK/none.db" --wait 0
expect_err "--wait must be a whole number of seconds from 1 to 60"
expect_exit 2 "$SAMBANGD" --db "$WORK/none.db" --server 'https://hub/?x'
expect_err "a hub URL has no query"
expect_exit 2 "$SAMBANGD" --db "$WORK/none.db" --wait 5 --wait 6
expect_err "--wait is given twice"
[ ! -e "$WORK/none.db" ] || fail "sambangd made a store"

expect_hub_ok init
start_hub
dev lone init >/dev/null
expect_exit 2 "$SAMBANGD" --db "$WORK/lone.db"
expect_err "no hub server is set"
expect_exit 2 "$SAMBANGD" --db "$WORK/lone.db" --server ftp://x --token t
expect_err "http:// or https://"
expect_exit 2 "$SAMBANGD" --db "$WORK/lone.db" --server "$URL" --token t \
  --wait 99
expect_err "--wait must be"
expect_exit 2 "$SAMBANGD" --db "$WORK/lone.db" --server "$URL" --token t \
  --socket "$WORK/no-such-dir/d.sock"
expect_err "its directory $WORK/no-such-dir does not exist"
[ ! -e "$WORK/no-such-dir" ] || fail "sambangd made the socket's directory"

# sambang sync with no daemon, and --once without a hub.
expect_exit 1 dev lone sync
expect_err "no sambangd is running"
expect_exit 4 dev lone sync --once
expect_err "no hub server is set"
expect_exit 2 dev lone sync --server "$URL"
expect_err "go with --once"
expect_exit 1 dev lone sync --once --server http://127.0.0.1:1 --token t
expect_err "hub unreachable"
# Writes work as ever with no daemon (the notice goes nowhere).
dev lone put notes a '{"x":1}' >/dev/null || fail "put without a daemon failed"

enrol d1
start_daemon d1
expect_exit 5 "$SAMBANGD" --db "$WORK/d1.db"
expect_err "is already being synced"
[ "$(stat -c %a "$WORK/d1.db.sock")" = 600 ] || fail "the socket is not 0600"
listening() { dev d1 status | grep -q '^daemon: listening, online'; }
wait_until 20 listening
dev d1 --json status >"$OUT"
grep -q '"daemon":{[^}]*"conflicts":0' "$OUT" || fail "--json status lacks the daemon"
dev d1 put notes n1 '{"x":1}' >/dev/null
dev d1 sync >"$OUT" 2>"$ERR" || fail "sync through the daemon failed"
grep -q '^synced: pushed [01], pulled' "$OUT" || fail "unexpected: $(cat "$OUT")"
"$HUB" export | grep -q '"n1"' || fail "n1 did not reach the hub"

# SIGHUP: a bad file is reported and the settings in use kept; a good
# one is taken.
stop_daemon d1
echo 'backoff_cap = 60' >"$WORK/d.conf"
start_daemon d1 --config "$WORK/d.conf"
echo 'backoff_cap = soon' >"$WORK/d.conf"
kill -HUP "${DPID[d1]}"
kept() { grep -q 'keeping the settings in use' "$WORK/d1.log"; }
wait_until 10 kept
grep -q "d.conf:1: backoff_cap must be" "$WORK/d1.log" ||
  fail "the reload error does not name file:line"
kill -0 "${DPID[d1]}" || fail "a bad config file stopped the daemon"
echo 'backoff_cap = 30' >"$WORK/d.conf"
kill -HUP "${DPID[d1]}"
reloaded() { grep -q 'settings reloaded' "$WORK/d1.log"; }
wait_until 10 reloaded

# SIGTERM: exit 0, the socket removed, the store fine.
stop_daemon d1
[ ! -e "$WORK/d1.db.sock" ] || fail "the socket was left behind"
dev d1 status >/dev/null || fail "the store is unusable after SIGTERM"
dev d1 status | grep -q '^daemon: not running' || fail "status sees a daemon"
stop_hub
echo ok
