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

# The sync engine's messages (what `sync --once` and `status` show) follow
# the device's language; the hub's own protocol messages stay English on
# the wire even when the hub runs with LANG=id_ID.UTF-8.
LANG=C.UTF-8 "$HUB" init >/dev/null 2>&1 || { echo "FAIL: init"; exit 1; }
tok=$(LANG=C.UTF-8 "$HUB" device add tab1 --scope all)
export LANG=id_ID.UTF-8
start_hub
unset LANG
r=$(LANG=C.UTF-8 dev a init --server "$URL" --token "$tok")
# A malformed push: the envelope's message is English, whatever the hub's LANG.
printf '{"records":7}' >"$WORK/bad.json"
push "$tok" "$r" "$WORK/bad.json"
expect_error 400 malformed
grep -qF '\"records\" must be an array"' "$BODY" && ! grep -q 'harus\|permintaan' "$BODY" ||
  { echo "FAIL: the wire message must stay English: $(cat "$BODY")"; exit 1; }
# A refused token: the code's meaning in the device's language, then the
# hub's (English) message.
LANG=C.UTF-8 "$HUB" device revoke tab1 >/dev/null 2>&1
set +e
LANG=id_ID.UTF-8 dev a sync --once >"$WORK/o" 2>&1
RC=$?
set -e
[ "$RC" -ne 0 ] || { echo "FAIL: sync with a revoked token succeeded"; exit 1; }
has 'hub menjawab 403 revoked (token telah dicabut)'
set +e
LANG=C.UTF-8 dev a sync --once >"$WORK/o" 2>&1
set -e
has 'hub answered 403 revoked (the token was revoked)'
# status (no daemon) shows the last problem in the language of the reader's
# run that made it... and the unreachable hub in each language.
stop_hub
set +e
LANG=id_ID.UTF-8 dev a sync --once >"$WORK/o" 2>&1
set -e
has 'hub tidak dapat dihubungi'
set +e
LANG=C.UTF-8 dev a sync --once >"$WORK/o" 2>&1
set -e
has 'hub unreachable'
echo ok
