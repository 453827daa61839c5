#!/usr/bin/env bash
# sambang-hub's help and command-line errors in Bahasa Indonesia with
# LANG=id_ID.UTF-8 (domain sambang-hub, the same id.po), English with
# LANG=C.UTF-8; exit codes the same.
. "$(dirname "$0")/lib.sh"
: "${SAMBANG_LOCALEDIR:?set SAMBANG_LOCALEDIR to the locale folder of the build tree}"
unset LANGUAGE LC_ALL LC_MESSAGES

run() { # run LANG ARGS...: sambang-hub, stdout+stderr in $WORK/o, $RC
  local lang=$1
  shift
  set +e
  LANG=$lang "$HUB" "$@" >"$WORK/o" 2>&1
  RC=$?
  set -e
}
has() { grep -qF -- "$1" "$WORK/o" || { echo "FAIL: no '$1' in:"; cat "$WORK/o"; exit 1; }; }

run id_ID.UTF-8 --help
[ "$RC" -eq 0 ] || { echo "FAIL: --help exit $RC"; exit 1; }
has 'pemakaian: sambang-hub [--db JALUR] PERINTAH [ARGUMEN]'
run C.UTF-8 --help
has 'usage: sambang-hub [--db PATH] COMMAND [ARGS]'
run id_ID.UTF-8 --db "$WORK/none.db" device list
[ "$RC" -eq 6 ] || [ "$RC" -eq 3 ] || { echo "FAIL: device list on no store: exit $RC"; exit 1; }
has "tidak ada penyimpanan hub di $WORK/none.db (jalankan \`sambang-hub init\`)"
run C.UTF-8 --db "$WORK/none.db" device list
has "no hub store at $WORK/none.db (run \`sambang-hub init\`)"
run id_ID.UTF-8 frobnicate
[ "$RC" -eq 2 ] || { echo "FAIL: unknown command: exit $RC"; exit 1; }
has 'sambang-hub: perintah frobnicate tidak dikenal'
echo ok
