#!/usr/bin/env bash
# sync_cli: sambangd and `sambang sync` without a hub. The daemon points at
# http://127.0.0.1:1 (nothing listens: it backs off, which is fine here).
# Covers: `sambang sync` with no daemon (exit 1) and --once with no hub
# (exit 4: a setting is missing, as for any invalid input); sambangd's
# options and exit codes (2 usage/settings, 5 a second daemon, 6 no store);
# the control socket (mode 0600, the protocol of daemon/sambangd/CONTROL.md spoken
# by a tiny client: status, notify, sync, stop, bad requests, several
# clients, a line over 64 KiB); status through the daemon; SIGTERM and
# SIGINT exit 0; a stale socket after kill -9; writes never hang on a
# stopped daemon.
. "$(dirname "$0")/lib.sh"
: "${SAMBANGD:?set SAMBANGD to the sambangd binary}"

NOHUB=http://127.0.0.1:1
SOCK=$SAMBANG_DB.sock
LOG=$WORK/sambangd.log
DPID=
# At exit, a daemon still running is killed (only ours, by pid).
CLEANUP+=('[ -z "$DPID" ] || kill -KILL "$DPID" 2>/dev/null')

# expect_exit CODE CMD...: runs CMD; checks its exit code. $OUT, $ERR.
expect_exit() {
  local want=$1 rc=0
  shift
  "$@" >"$OUT" 2>"$ERR" || rc=$?
  [ "$rc" -eq "$want" ] || fail "expected exit $want from: $*; got $rc"
}

# ctl N LINE...: sends the lines on one connection to $SOCK, prints the
# first N reply lines (fails if they do not come within 10 s).
ctl() {
  perl -MIO::Socket::UNIX -e '
    my ($path, $n, @lines) = @ARGV;
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
      or die "connect $path: $!\n";
    $SIG{ALRM} = sub { die "no reply within 10 s\n" };
    alarm 10;
    print $s "$_\n" for @lines;
    for (1 .. $n) {
      my $l = <$s>;
      defined $l or die "connection closed after " . ($_ - 1) . " lines\n";
      print $l;
    }' "$SOCK" "$@"
}

# True if something accepts connections on $SOCK.
answers() {
  perl -MIO::Socket::UNIX -e '
    IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or exit 1
  ' "$SOCK"
}

# Starts sambangd in the background (extra ARGS), waits until its socket
# answers (a stale socket file may be there before).
start_daemon() {
  local i=0
  "$SAMBANGD" --server "$NOHUB" --token t "$@" 2>>"$LOG" &
  DPID=$!
  until answers; do
    kill -0 "$DPID" 2>/dev/null || fail "sambangd died at start: $(cat "$LOG")"
    i=$((i + 1))
    [ "$i" -lt 2000 ] || fail "sambangd made no socket within 20 s"
    sleep 0.01
  done
}

# Waits for the daemon to exit; checks its exit status was $1.
expect_daemon_exit() {
  local want=$1 rc=0
  wait "$DPID" || rc=$?
  [ "$rc" -eq "$want" ] ||
    fail "sambangd exited $rc, expected $want; log: $(tail -n 5 "$LOG")"
  DPID=
}

fresh_store

# --- sambang sync without a daemon or a hub ---------------------------------
expect_fail 1 sync
expect_stderr_contains "no sambangd is running for $SAMBANG_DB; use \`sambang sync --once\`"
expect_fail 4 sync --once
expect_stderr_contains "no hub server is set"
expect_fail 4 sync --once --server "$NOHUB"
expect_stderr_contains "no device token is set"
expect_fail 4 sync --once --server ftp://x --token t
expect_stderr_contains "http:// or https://"
echo 'bogus = 1' >"$WORK/bad.conf"
expect_fail 4 sync --once --config "$WORK/bad.conf"
expect_stderr_contains "$WORK/bad.conf:1: unknown setting"
expect_fail 2 sync --token t
expect_fail 2 sync extra
# --once against nothing: the attempt fails, exit 1, the store untouched.
expect_ok put notes a '{"x":1}'
snapshot
expect_fail 1 sync --once --server "$NOHUB" --token t
expect_stderr_contains "sync failed"
expect_unchanged
expect_ok status
expect_stdout_contains "unsynced changes: 1"

# --- sambangd's command line --------------------------------------------------
expect_exit 0 "$SAMBANGD" --help
grep -q '^usage: sambangd' "$OUT" || fail "--help prints no usage"
grep -qF -- '--backoff-cap' "$OUT" || fail "--help lacks --backoff-cap"
expect_exit 0 "$SAMBANGD" --version
grep -q '^sambangd ' "$OUT" || fail "--version"
expect_exit 2 "$SAMBANGD" --bogus
grep -qF "unknown option --bogus" "$ERR" || fail "bad option message"
expect_exit 2 "$SAMBANGD" extra
expect_exit 2 "$SAMBANGD" --server
grep -qF -- "--server needs a value" "$ERR" || fail "missing value message"
expect_exit 2 "$SAMBANGD" --token a --token-file b
expect_exit 2 "$SAMBANGD" --server "$NOHUB" --token t --backoff-cap 0
expect_exit 2 "$SAMBANGD" --server "$NOHUB" --token t --backoff-cap 1x
expect_exit 2 "$SAMBANGD" --server "$NOHUB" --token t --wait 61
expect_exit 2 "$SAMBANGD" # the store has no hub
grep -qF "no hub server is set" "$ERR" || fail "no-hub message"
expect_exit 2 "$SAMBANGD" --server "$NOHUB" --token-file "$WORK/no-token"
grep -qF "$WORK/no-token" "$ERR" || fail "the token file is not named"
expect_exit 2 "$SAMBANGD" --config "$WORK/bad.conf"
grep -qF "$WORK/bad.conf:1: unknown setting" "$ERR" || fail "file:line"
expect_exit 2 "$SAMBANGD" --config "$WORK/no.conf" --server "$NOHUB" --token t
grep -qF "$WORK/no.conf" "$ERR" || fail "the missing config is not named"
expect_exit 6 "$SAMBANGD" --db "$WORK/none.db" --server "$NOHUB" --token t
grep -qF "$WORK/none.db" "$ERR" || fail "the missing store is not named"
long=$WORK/$(printf 'x%.0s' $(seq 120))
expect_exit 2 "$SAMBANGD" --server "$NOHUB" --token t --socket "$long"
grep -qF "too long" "$ERR" || fail "a long socket path is not refused"
[ ! -e "$SOCK" ] || fail "a refused start left a socket"

# --- a running daemon ---------------------------------------------------------
start_daemon
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "the socket is not mode 0600"
# A second daemon on the same store is refused; the first keeps running.
expect_exit 5 "$SAMBANGD" --server "$NOHUB" --token t
grep -qF "$SAMBANG_DB is already being synced" "$ERR" ||
  fail "second daemon message"
# So is an in-process sync: it points to the daemon instead.
expect_exit 5 "$SAMBANG" sync --once --server "$NOHUB" --token t
grep -qF "a sambangd (or another sync) is syncing $SAMBANG_DB" "$ERR" ||
  fail "sync --once beside a daemon: $(cat "$ERR")"
[ -S "$SOCK" ] || fail "the refused daemon removed the socket"
kill -0 "$DPID" || fail "the first daemon died"

# status through the socket: every field, as in CONTROL.md.
ctl 1 '{"cmd":"status"}' >"$WORK/st" || fail "status over the socket"
for k in phase online cycle cycles_done cycle_pushed cycle_pulled pending \
  rejected conflicts cursor last_success_ms next_retry_ms failures \
  total_pushed total_pulled wire_up wire_down json_up json_down last_error; do
  grep -qF "\"$k\":" "$WORK/st" || fail "status lacks $k: $(cat "$WORK/st")"
done
grep -q '^{"ok":true,"status":{"phase":"' "$WORK/st" || fail "status shape"
grep -qF '"pending":1,' "$WORK/st" || fail "status pending: $(cat "$WORK/st")"
# sambang status keeps its lines and adds the daemon's view below.
expect_ok status
expect_stdout_contains "unsynced changes: 1"
expect_stdout_contains "open conflicts: 0"
grep -q '^daemon: [a-z]*, offline$' "$OUT" || fail "status: daemon line"
expect_stdout_contains "  last sync: never"
expect_stdout_lacks "daemon: not running"
expect_ok --json status
grep -q '"daemon":{[^}]*"online":false' "$OUT" || fail "--json daemon object"
grep -q '"daemon":{[^}]*"pending":1,' "$OUT" || fail "--json daemon pending"

# A write with a daemon running: the notice is taken, the count follows.
expect_ok put notes b '{"x":2}'
ctl 1 '{"cmd":"status"}' >"$WORK/st"
grep -qF '"pending":2,' "$WORK/st" || fail "pending after put: $(cat "$WORK/st")"

# The protocol: several requests on one connection, replies in order.
ctl 4 '{"cmd":"notify"}' 'not json' '{"cmd":"frob"}' '{"x":1}' >"$WORK/r"
sed -n 1p "$WORK/r" | grep -qx '{"ok":true}' || fail "notify: $(cat "$WORK/r")"
sed -n 2p "$WORK/r" | grep -q '^{"ok":false,"error":"' || fail "bad JSON"
sed -n 3p "$WORK/r" | grep -qF 'unknown cmd \"frob\"' || fail "unknown cmd"
sed -n 4p "$WORK/r" | grep -q '^{"ok":false,' || fail "no cmd"
# sync with the hub unreachable: a done line with ok false and the error.
ctl 1 '{"cmd":"sync"}' >"$WORK/r"
grep -q '^{"event":"done","ok":false,.*"error":"[^"]' "$WORK/r" ||
  fail "sync over the socket: $(cat "$WORK/r")"
expect_fail 1 sync
expect_stderr_contains "sync failed: "
# Several clients at once: two connections open, both answered.
perl -MIO::Socket::UNIX -e '
  $SIG{ALRM} = sub { die "timeout\n" }; alarm 10;
  my @s = map { IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])
                  or die "connect: $!\n" } 1 .. 3;
  print $_ "{\"cmd\":\"status\"}\n" for reverse @s;
  for (@s) { my $l = <$_>; $l =~ /^\{"ok":true,"status"/ or die "bad: $l" }
' "$SOCK" || fail "three clients at once"
# A request line over 64 KiB, unfinished or whole: an error line, then
# the connection is closed.
for nl in '' '\n'; do
  perl -MIO::Socket::UNIX -e '
    $SIG{ALRM} = sub { die "not closed\n" }; alarm 10;
    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])
      or die "connect: $!\n";
    $SIG{PIPE} = "IGNORE";
    print $s ("x" x 100000) . ($ARGV[1] ? "\n" : "");
    my $l = <$s>;
    defined $l && $l =~ /over 64 KiB/ or die "no error line\n";
    defined(<$s>) and die "still open\n";
  ' "$SOCK" "$nl" || fail "a long request line (newline: '$nl')"
done
ctl 1 '{"cmd":"status"}' >/dev/null || fail "the daemon is hurt by a long line"

# Writes never wait long on a daemon that cannot answer (stopped): the
# notify gives up after 200 ms. Measured against a put to the running
# daemon in the same run (the machine may be slow; a hang never ends).
t0=$(date +%s%N)
sb put notes c '{"x":2}'
t1=$(date +%s%N)
check_ok put
base=$(((t1 - t0) / 1000000))
kill -STOP "$DPID"
t0=$(date +%s%N)
sb put notes c '{"x":3}'
t1=$(date +%s%N)
kill -CONT "$DPID"
check_ok put
took=$(((t1 - t0) / 1000000))
echo "put: ${base} ms to a running daemon, ${took} ms to a stopped one"
[ "$took" -lt $((3 * base + 1000)) ] ||
  fail "put took $took ms with a stopped daemon (${base} ms with a running one)"

# stop over the socket: ok, then exit 0, the socket removed.
ctl 1 '{"cmd":"stop"}' >"$WORK/r" || fail "stop over the socket"
grep -qx '{"ok":true}' "$WORK/r" || fail "stop reply: $(cat "$WORK/r")"
expect_daemon_exit 0
[ ! -e "$SOCK" ] || fail "stop left the socket behind"
expect_ok status
expect_stdout_contains "daemon: not running"
expect_stdout_contains "unsynced changes: 3"

# SIGTERM and SIGINT: exit 0, the socket removed, the store consistent.
start_daemon --db "$SAMBANG_DB"
kill -TERM "$DPID"
expect_daemon_exit 0
[ ! -e "$SOCK" ] || fail "SIGTERM left the socket behind"
grep -q 'signal 15: stopping' "$LOG" || fail "SIGTERM not logged"
start_daemon
kill -INT "$DPID"
expect_daemon_exit 0
[ ! -e "$SOCK" ] || fail "SIGINT left the socket behind"
[ "$(sqlite3 "$SAMBANG_DB" 'PRAGMA integrity_check')" = ok ] ||
  fail "the store is not consistent"

# kill -9 leaves a stale socket: writes and status still work, `sambang
# sync` says no daemon runs, and the next daemon replaces the socket.
start_daemon
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=
[ -S "$SOCK" ] || fail "expected a stale socket after kill -9"
expect_ok put notes d '{"x":4}'
expect_ok status
expect_stdout_contains "daemon: not running"
expect_fail 1 sync
expect_stderr_contains "no sambangd is running"
start_daemon
ctl 1 '{"cmd":"status"}' | grep -qF '"pending":4,' || fail "restarted daemon"
kill -TERM "$DPID"
expect_daemon_exit 0

echo "ok"
