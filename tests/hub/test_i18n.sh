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
# Each command's --help: Indonesian, English; the same exit code.
for cmd in serve device user init export conflicts check migrate purge; do
  run id_ID.UTF-8 "$cmd" --help
  [ "$RC" -eq 0 ] || { echo "FAIL: $cmd --help exit $RC"; exit 1; }
  has "pemakaian: sambang-hub "
  if grep -q '^usage:' "$WORK/o"; then echo "FAIL: $cmd --help in English"; cat "$WORK/o"; exit 1; fi
  run C.UTF-8 "$cmd" --help
  has "usage: sambang-hub "
done
run id_ID.UTF-8 device --help
has 'rotate: menampilkan token baru untuk perangkat; token lama tidak berlaku lagi.'
run id_ID.UTF-8 serve --help
has '--listen ALAMAT:PORT   alamat IPv4 dan port'
run C.UTF-8 serve --help
has '--listen ADDR:PORT     IPv4 address and port'
# A usage error carries the command's help in the same language.
run id_ID.UTF-8 purge --older-than x
[ "$RC" -eq 2 ] || { echo "FAIL: purge --older-than x: exit $RC"; exit 1; }
has 'pemakaian: sambang-hub [--db JALUR] purge --older-than HARI'
echo ok
