#!/usr/bin/env bash
# Type=notify: the hub says READY=1 only once it listens and STOPPING=1 on
# SIGTERM; sambangd says READY=1 once its loop runs (with a store and no
# config file at all), RELOADING=1 then READY=1 around SIGHUP, STOPPING=1
# on stop. $NOTIFY_SOCKET points at tests/pkg/notify_listen, as systemd's
# would. Also: the default config file is read when it exists.
. "$(dirname "$0")/../sync/lib.sh"
: "${NOTIFY_LISTEN:?set NOTIFY_LISTEN to the notify_listen binary}"

LPIDS=()
pkg_cleanup() {
  local p
  for p in "${LPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sync_cleanup
}
trap pkg_cleanup EXIT

# listen NAME: a notification socket $WORK/NAME.sock, messages in $WORK/NAME.notes
listen() {
  "$NOTIFY_LISTEN" "$WORK/$1.sock" >"$WORK/$1.notes" 2>>"$WORK/$1.log" &
  LPIDS+=($!)
  wait_until 5 test -S "$WORK/$1.sock"
}
# notes NAME: the messages so far, one line each
notes() { tr '\n' ' ' <"$WORK/$1.notes"; }
# notes_at_least NAME N: true once NAME has N messages (counted at each
# call: wait_until must not be handed a count taken once, before it waits)
notes_at_least() { [ "$(grep -c . "$WORK/$1.notes")" -ge "$2" ]; }

# --- the hub -----------------------------------------------------------------
CASE=hub
"$HUB" init >/dev/null || fail "hub init failed"
listen hub
NOTIFY_SOCKET=$WORK/hub.sock start_hub
wait_until 10 grep -qx READY=1 "$WORK/hub.notes"
# READY came after the listen: the hub answers at once.
curl -sf "$URL/v1/health" >/dev/null || fail "READY=1 sent before the hub answers"
[ "$(notes hub)" = "READY=1 " ] || fail "hub sent: $(notes hub)"
NOTIFY_SOCKET=$WORK/hub.sock stop_hub
wait_until 10 grep -qx STOPPING=1 "$WORK/hub.notes"
[ "$(notes hub)" = "READY=1 STOPPING=1 " ] || fail "hub sent: $(notes hub)"

# Without $NOTIFY_SOCKET nothing changes (every other test runs so).
start_hub

# --- sambangd: a store, no config file -----------------------------------------
CASE=sambangd
enrol d1
export HOME=$WORK/home
mkdir -p "$HOME"
unset XDG_CONFIG_HOME SAMBANGD_CONFIG
listen d1n
NOTIFY_SOCKET=$WORK/d1n.sock start_daemon d1
wait_until 10 grep -qx READY=1 "$WORK/d1n.notes"
kill -HUP "${DPID[d1]}"
wait_until 10 grep -q 'settings reloaded' "$WORK/d1.log"
wait_until 10 notes_at_least d1n 3
[ "$(notes d1n)" = "READY=1 RELOADING=1 READY=1 " ] || fail "sambangd sent: $(notes d1n)"
stop_daemon d1
# (sent before it exited; the listener may print it a moment later)
wait_until 10 notes_at_least d1n 4
[ "$(notes d1n)" = "READY=1 RELOADING=1 READY=1 STOPPING=1 " ] ||
  fail "sambangd sent: $(notes d1n)"

# --- SIGTERM the moment the control socket exists -------------------------------
# A supervisor may stop the daemon as soon as it sees the socket: that is a
# clean stop (exit 0), never the default death by the signal (143).
CASE=term-at-once
for i in 1 2 3 4 5 6 7 8 9 10; do
  rm -f "$WORK/d1.db.sock"
  SAMBANG_DB=$WORK/d1.db "$SAMBANGD" 2>>"$WORK/d1.log" &
  pid=$!
  end=$((SECONDS + 10))
  until [ -S "$WORK/d1.db.sock" ]; do # no sleep: the window is short
    [ "$SECONDS" -lt "$end" ] || fail "no control socket after 10 s (round $i)"
  done
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] || { fail_logs; fail "round $i: SIGTERM at start: exit $rc"; }
done

# --- sambangd's default config file ------------------------------------------
CASE=default-config
mkdir -p "$HOME/.config/sambang"
printf 'wait = 5\nbogus = 1\n' >"$HOME/.config/sambang/sambangd.conf"
rc=0
SAMBANG_DB=$WORK/d1.db "$SAMBANGD" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 2 ] || fail "a bad default config file: exit $rc, not 2"
grep -q "$HOME/.config/sambang/sambangd.conf:2" "$WORK/err" ||
  fail "the message does not name FILE:LINE: $(cat "$WORK/err")"
# $XDG_CONFIG_HOME comes first, then $SAMBANGD_CONFIG before both.
mkdir -p "$WORK/xdg/sambang"
printf 'wait = 0\n' >"$WORK/xdg/sambang/sambangd.conf"
rc=0
XDG_CONFIG_HOME=$WORK/xdg SAMBANG_DB=$WORK/d1.db "$SAMBANGD" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "$WORK/xdg/sambang/sambangd.conf:1" "$WORK/err" ||
  fail "\$XDG_CONFIG_HOME's file not read: exit $rc, $(cat "$WORK/err")"
# A missing default file is no error: $SAMBANGD_CONFIG names none here.
SAMBANGD_CONFIG=$WORK/none.conf start_daemon d1
stop_daemon d1
# An explicit --config must exist.
rc=0
SAMBANG_DB=$WORK/d1.db "$SAMBANGD" --config "$WORK/none.conf" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 2 ] || fail "a missing --config file: exit $rc, not 2"
stop_hub
echo "ok"
