#!/usr/bin/env bash
# template.sh make|remove DIR: the PostgreSQL cluster (DIR/data, never
# started) that every PostgreSQL test of one ctest run copies instead of
# running initdb itself (SAMBANG_PG_TEMPLATE, pg_start in lib.sh). ctest
# makes it once before them (the pg.template fixture) and removes it after.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || { echo "usage: template.sh make|remove DIR" >&2; exit 2; }
case $1 in
make)
  [ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server (initdb)" >&2; exit 1; }
  rm -rf "$2"
  mkdir -p "$2"
  pg_own "$2"
  pg_initdb "$2"
  ;;
remove) rm -rf "$2" ;;
*) echo "template.sh: unknown mode $1" >&2; exit 2 ;;
esac
