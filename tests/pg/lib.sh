# tests/pg/lib.sh - a throwaway PostgreSQL cluster for one test script
# (sourced by tests/hub/lib.sh when SAMBANG_TEST_PG=1, and by the
# PostgreSQL-only tests). initdb + pg_ctl in a temporary folder, on a free
# 127.0.0.1 port, as an unprivileged user when run as root (the user
# sambangtest, made if missing: PostgreSQL refuses to run as root).
#
#   pg_start            start the cluster; sets $PG_PORT, $PGDATA_DIR
#   pg_createdb NAME    a new database; prints its URI
#   pg_stop [MODE]      pg_ctl stop (-m fast unless MODE), waits
#   pg_restart          stop (immediate: a crash) and start on the same port
#   pg_cleanup          stop and remove the folder (called at exit)
#   pg_sql DB SQL       run SQL with psql in database DB

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_DIR=
PG_PORT=
PG_USER_OS=

pg_as() {
  if [ -n "$PG_USER_OS" ]; then
    runuser -u "$PG_USER_OS" -- "$@"
  else
    "$@"
  fi
}

pg_ctl_() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" "$@"
}

pg_try_port() {
  pg_ctl_ -w -t 30 -l "$PG_DIR/log" -o "-p $1 -c listen_addresses=127.0.0.1 \
-c unix_socket_directories=$PG_DIR -c fsync=off -c max_connections=200" \
    start >/dev/null 2>&1
}

# pg_initdb DIR: a new cluster in DIR/data, owned by the user that runs it.
pg_initdb() {
  pg_as "$PG_BIN/initdb" -D "$1/data" -A trust -U sambang -E UTF8 \
    --locale=C --no-sync >"$1/initdb.log" 2>&1 ||
    { cat "$1/initdb.log" >&2; return 1; }
}

# pg_own DIR: as root, DIR goes to the unprivileged user PostgreSQL runs
# as ($PG_USER_OS, made if missing).
pg_own() {
  [ "$(id -u)" = 0 ] || return 0
  PG_USER_OS=sambangtest
  id "$PG_USER_OS" >/dev/null 2>&1 ||
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$PG_USER_OS" 2>/dev/null ||
    id "$PG_USER_OS" >/dev/null 2>&1 || { echo "cannot make user $PG_USER_OS" >&2; return 1; }
  chown "$PG_USER_OS" "$1"
}

pg_start() {
  local tries=0
  [ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server (initdb)" >&2; return 1; }
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sambang-pg.XXXXXX")
  pg_own "$PG_DIR" || return 1
  if [ -n "${SAMBANG_PG_TEMPLATE:-}" ] && [ -f "$SAMBANG_PG_TEMPLATE/data/PG_VERSION" ]; then
    # A copy of the cluster the suite's pg.template made once (~0.2 s;
    # initdb takes ~1.5 s, and ctest starts some seventy clusters).
    pg_as cp -a "$SAMBANG_PG_TEMPLATE/data" "$PG_DIR/data" || return 1
  else
    pg_initdb "$PG_DIR" || return 1
  fi
  until PG_PORT=$((20000 + RANDOM % 40000)); pg_try_port "$PG_PORT"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 10 ]; then
      tail -n 20 "$PG_DIR/log" >&2
      return 1
    fi
  done
}

pg_createdb() {
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U sambang "$1" >&2 || return 1
  echo "postgresql://sambang@127.0.0.1:$PG_PORT/$1"
}

pg_sql() {
  "$PG_BIN/psql" -X -q -t -A -h 127.0.0.1 -p "$PG_PORT" -U sambang -d "$1" -c "$2"
}

pg_stop() {
  pg_ctl_ -w -m "${1:-fast}" stop >/dev/null 2>&1
}

pg_restart() {
  pg_stop immediate
  pg_try_port "$PG_PORT"
}

pg_cleanup() {
  [ -n "$PG_DIR" ] || return 0
  pg_stop immediate || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
