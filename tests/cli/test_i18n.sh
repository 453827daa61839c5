#!/usr/bin/env bash
# Bahasa Indonesia: with LANG=id_ID.UTF-8 the CLI speaks Indonesian (help,
# errors, status, list and show), with LANG=C.UTF-8 English; machine output
# (--json, error codes, exit codes) is the same in both.
. "$(dirname "$0")/lib.sh"
: "${SAMBANG_LOCALEDIR:?set SAMBANG_LOCALEDIR to the locale folder of the build tree}"
locale -a 2>/dev/null | grep -qix 'id_ID.utf-\?8' ||
  fail "the locale id_ID.UTF-8 is missing (deploy/quickstart.sh generates it)"
fresh_store

in_id() { LANG=id_ID.UTF-8 sb "$@"; }
in_en() { LANG=C.UTF-8 sb "$@"; }

# Errors: the message in the user's language, the exit code the same.
in_id visit list --month 2026-13
check_fail 2 visit list
expect_stderr_contains 'sambang: --month menerima YYYY-MM (mis. 2026-11), bukan "2026-13"'
in_en visit list --month 2026-13
check_fail 2 visit list
expect_stderr_contains 'sambang: --month takes YYYY-MM (e.g. 2026-11), not "2026-13"'
in_id get beneficiary nobody
check_fail 3 get
expect_stderr_contains 'tidak ditemukan'
in_en get beneficiary nobody
check_fail 3 get
expect_stderr_contains 'not found'
# A message whole in one language, never with an English piece spliced in.
in_id visit add --beneficiary nobody --date 2026-11-01 --programme child-education
check_fail 3 visit
expect_stderr_contains 'tidak ada beneficiary di perangkat ini dengan id atau nama tersebut'
if grep -q ' or name' "$ERR"; then fail "English spliced into an Indonesian message: $(cat "$ERR")"; fi
in_en visit add --beneficiary nobody --date 2026-11-01 --programme child-education
check_fail 3 visit
expect_stderr_contains 'no beneficiary on this device has that id or name'
# The add and edit commands' own checks speak the language too.
in_id beneficiary add --name Budi --group anak --kecamatan Setu --consent tidak
check_fail 4 beneficiary
expect_stderr_contains 'data pribadi (--name) perlu --consent ya'
in_id beneficiary add --name Budi
check_fail 4 beneficiary
expect_stderr_contains 'beneficiary add: beri --group, --kecamatan, --consent (wajib'
# --json: the code stays English, the message follows the language.
in_id --json get beneficiary nobody
[ "$RC" -eq 3 ] || fail "--json get: exit $RC"
grep -q '"code":"NOTFOUND"' "$ERR" || fail "the JSON code must stay NOTFOUND"
grep -q 'tidak ditemukan' "$ERR" || fail "the JSON message must be Indonesian"

# Help: the main help and a domain command's.
in_id --help
expect_stdout_contains 'pemakaian: sambang [--db JALUR]'
expect_stdout_contains 'membuat penyimpanan; menampilkan id replika'
expect_stdout_contains 'Kode keluar:'
in_en --help
expect_stdout_contains 'usage: sambang [--db PATH]'
expect_stdout_contains 'Exit codes:'
in_id visit --help
expect_stdout_contains 'Opsi:'
expect_stdout_contains ' Wajib.'
# The schema's help texts in the reader's language (deploy/schema.json).
expect_stdout_contains 'Satu kunjungan ke penerima manfaat.'
expect_stdout_contains 'Tanggal kunjungan, YYYY-MM-DD'
in_en visit --help
expect_stdout_contains 'One visit to a beneficiary (kunjungan).'
expect_stdout_contains 'Date of the visit, YYYY-MM-DD'
in_id --help
expect_stdout_contains 'Orang yang didampingi tim penjangkauan'

# Writes and what they show.
expect_ok beneficiary add --name "Srí Wahyuni" --group perempuan \
  --kecamatan Setu --consent ya
sri=$(cat "$OUT")
in_id beneficiary show "$sri"
check_ok
expect_stdout_contains 'Persetujuan: ya'
in_en beneficiary show "$sri"
expect_stdout_contains 'consent: yes'

# Programme and group values: the schema's labels of the language; the
# values themselves in --json and in the store.
expect_ok visit add --beneficiary "$sri" --programme skills-cooking --date 2025-11-05
v=$(cat "$OUT")
in_id visit list
check_ok visit list
expect_stdout_contains 'Pelatihan keterampilan: memasak'
# Headings: the schema's titles in Indonesian; the field names (the
# options' names) in English.
head -1 "$OUT" | grep -q 'Penerima manfaat  *Tanggal  *Program' || fail "Indonesian headings: $(head -1 "$OUT")"
in_en visit list
expect_stdout_contains 'Skills training: cooking'
head -1 "$OUT" | grep -q 'beneficiary  *date  *programme' || fail "English headings: $(head -1 "$OUT")"
expect_stdout_lacks 'Pelatihan'
in_id beneficiary show "$sri"
expect_stdout_contains 'Kelompok: Perempuan'
# LANGUAGE in the C.UTF-8 locale (a container's default): gettext
# translates the messages, and the labels follow the same language.
LANG=C.UTF-8 LANGUAGE=id sb beneficiary show "$sri"
expect_stdout_contains 'Kelompok: Perempuan'
LANG=C.UTF-8 LANGUAGE=id sb visit list
expect_stdout_contains 'Pelatihan keterampilan: memasak'
LANG=C LANGUAGE=id sb visit list
expect_stdout_contains 'Skills training: cooking'
in_id visit show "$v"
expect_stdout_contains 'Program: Pelatihan keterampilan: memasak'
in_id --json visit list
expect_stdout_contains '"programme":"skills-cooking"'
expect_stdout_lacks 'Pelatihan'
in_id visit --help
expect_stdout_contains 'skills-cooking (Pelatihan keterampilan:'
expect_ok export
expect_stdout_lacks 'Pelatihan'

# status: the lines people read.
in_id status
check_ok status
expect_stdout_contains 'replika: '
expect_stdout_contains '  Penerima manfaat: '
expect_stdout_contains '  Kunjungan: '
expect_stdout_contains 'perubahan belum disinkronkan: 2'
expect_stdout_contains 'terakhir disinkronkan: belum pernah'
in_en status
expect_stdout_contains 'unsynced changes: 2'
expect_stdout_contains '  beneficiary: '
expect_stdout_contains 'last synced: never'

# sambangd speaks the same catalogue.
if [ -n "${SAMBANGD:-}" ]; then
  set +e
  LANG=id_ID.UTF-8 "$SAMBANGD" --bogus >"$OUT" 2>"$ERR"
  RC=$?
  set -e
  [ "$RC" -eq 2 ] || fail "sambangd --bogus: exit $RC"
  expect_stderr_contains 'sambangd: opsi --bogus tidak dikenal (lihat sambangd --help)'
  LANG=id_ID.UTF-8 "$SAMBANGD" --help >"$OUT"
  expect_stdout_contains 'pemakaian: sambangd [--db JALUR] [OPSI]'
  LANG=C.UTF-8 "$SAMBANGD" --help >"$OUT"
  expect_stdout_contains 'usage: sambangd [--db PATH] [OPTIONS]'
fi

# The schema loader's complaints (whoever edits schema.json): Indonesian,
# English; JSON keys and type names stay as the file spells them.
printf '{"version": 1, "collections": {"x": {"fields": {"a": {"type": "strnig"}}}}}' \
  >"$WORK/bad-schema.json"
in_id --db "$WORK/bad-schema.db" init --schema "$WORK/bad-schema.json"
check_fail 4 init
expect_stderr_contains 'skema: koleksi "x", kolom "a": jenis "strnig" tidak dikenal (gunakan string, bool,'
[ ! -e "$WORK/bad-schema.db" ] || fail "a refused init must create nothing"
in_en --db "$WORK/bad-schema.db" init --schema "$WORK/bad-schema.json"
check_fail 4 init
expect_stderr_contains 'schema: collection "x", field "a": unknown type "strnig" (use string, bool,'
printf '{"version": 1, "collections": {"x": {"fields": {"a": {"type": "string"},}}}}' \
  >"$WORK/bad-schema.json"
in_id --db "$WORK/bad-schema.db" init --schema "$WORK/bad-schema.json"
check_fail 4 init
expect_stderr_contains 'berkas ini bukan JSON yang sah: galat di sekitar baris 1'

# The daemon's phase and the sync engine's error in `status`: the phase
# in the reader's language, the error as sambangd made it (its language).
if [ -n "${SAMBANGD:-}" ]; then
  LANG=id_ID.UTF-8 "$SAMBANGD" --server http://127.0.0.1:1 --token t \
    2>"$WORK/sambangd.log" &
  DPID=$!
  CLEANUP+=('kill -KILL "$DPID" 2>/dev/null || true')
  i=0
  until in_id status && grep -qF 'daemon: menunggu untuk mencoba lagi, luring' "$OUT"; do
    i=$((i + 1))
    [ "$i" -lt 300 ] || fail "sambangd never showed its back-off in Indonesian: $(cat "$OUT")"
    sleep 0.1
  done
  expect_stdout_contains 'galat terakhir: '
  expect_stdout_contains 'hub tidak dapat dihubungi'
  in_en status
  expect_stdout_contains 'daemon: backoff, offline'
  kill -TERM "$DPID"
  wait "$DPID" || fail "sambangd exited non-zero after SIGTERM"
fi

# A catalogue for another language that does not exist: English.
LANG=id_ID.UTF-8 LANGUAGE=xx sb get beneficiary nobody
expect_stderr_contains 'not found'
echo "ok"
