#!/usr/bin/env bash
# Global options, help, store location, init, usage errors.
. "$(dirname "$0")/lib.sh"

# --help and --version need no store.
expect_ok --help
expect_stdout_contains "usage: sambang [--db PATH] [--json] COMMAND"
expect_stdout_contains "Exit codes:"
expect_stdout_contains "5  the store is locked"
expect_stdout_contains "beneficiary add|edit|list|show"
expect_ok -h
expect_stdout_contains "Exit codes:"
expect_ok --version
expect_stdout_contains "sambang "

# Every command has --help on stdout, exit 0, without a store.
for cmd in init put get rm list import export conflicts resolve status help \
  beneficiary visit; do
  expect_ok "$cmd" --help
  expect_stdout_contains "usage: sambang"
  expect_stdout_contains "$cmd"
done
expect_ok put notes x --help
expect_stdout_contains "put COLLECTION ID JSON_OBJECT"
expect_ok beneficiary add --help
expect_stdout_contains "--kecamatan VALUE"
expect_stdout_contains "Kecamatan (district)"
expect_ok visit --help
expect_stdout_contains "--follow-up YYYY-MM-DD"
expect_ok help put
expect_stdout_contains "put COLLECTION ID JSON_OBJECT"
expect_ok --help list
expect_stdout_contains "--where FIELD=VALUE"

# Usage errors: exit 2, one line naming the problem.
expect_fail 2
expect_stderr_contains "no command given"
expect_fail 2 frobnicate
expect_stderr_contains 'unknown command "frobnicate"'
expect_fail 2 --frob list notes
expect_stderr_contains "unknown option --frob"
expect_fail 2 --db
expect_stderr_contains "--db needs a value"
expect_fail 2 help frobnicate
expect_stderr_contains 'unknown command "frobnicate"'
# A message quoting input with a newline stays one line.
expect_fail 2 "$(printf 'two\nlines')"
expect_stderr_contains 'unknown command "two\x0alines"'

# Nothing there yet: not found, naming the path.
expect_fail 3 get notes a
expect_stderr_contains "no store at $SAMBANG_DB"

# init prints the replica id alone and makes the directory (0700).
export SAMBANG_DB=$WORK/deep/er/store.db
expect_ok init
grep -qE '^[0-9a-f]{16}$' "$OUT" || fail "init must print the replica id"
replica=$(cat "$OUT")
[ "$(stat -c %a "$WORK/deep/er")" = 700 ] || fail "store dir must be 0700"
[ -f "$SAMBANG_DB" ] || fail "no store file"
expect_ok status
expect_stdout_contains "replica: $replica"
expect_stdout_contains "store: $SAMBANG_DB"
# --json: one object naming the replica and the store.
SAMBANG_DB=$WORK/json.db expect_ok --json init
grep -qE '^\{"replica":"[0-9a-f]{16}","store":"'"$WORK"'/json.db"\}$' "$OUT" ||
  fail "init --json: $(cat "$OUT")"

# init over an existing store: refused, store untouched.
expect_ok put notes a '{"x":1}'
expect_refused 1 "a store already exists at $SAMBANG_DB" init
expect_ok status
expect_stdout_contains "replica: $replica"

# init on a path that is no file: refused with why, nothing made.
expect_fail 4 --db "$WORK/newdir/" init
expect_stderr_contains "names a directory"
[ ! -e "$WORK/newdir" ] || fail "init on newdir/ made the directory"
mkdir "$WORK/adir"
expect_fail 6 --db "$WORK/adir" init
expect_stderr_contains "$WORK/adir exists and is not a file"
[ -z "$(ls -A "$WORK/adir")" ] || fail "init wrote into a directory"

# init --server: what sync would refuse is refused now, and no store made.
for bad in http://hub.example.org:8080 http://10.1.2.3 http://127.0.0.1:99999 \
  http://127.0.0.1:0 'http://127.0.0.1:12x'; do
  expect_fail 4 --db "$WORK/srv.db" init --server "$bad" --token t0k3n
  expect_stderr_contains "$bad"
  [ ! -e "$WORK/srv.db" ] || fail "init --server $bad made a store"
done
expect_ok --db "$WORK/srv.db" init --server http://127.0.0.1:8080 --token t0k3n
# A CA file sync cannot read is said at once, even for a plain-http hub.
expect_fail 3 --db "$WORK/srv.db" sync --once --ca-file "$WORK/no-such.pem"
expect_stderr_contains "no-such.pem"
printf 'not a certificate\n' >"$WORK/bad.pem"
expect_fail 4 --db "$WORK/srv.db" sync --once --ca-file "$WORK/bad.pem"
expect_stderr_contains "bad.pem"

# Output that cannot be written is an error too.
set +e
"$SAMBANG" export >/dev/full 2>"$ERR"
RC=$?
set -e
check_fail 1 export
expect_stderr_contains "cannot write the output"

# Usage errors for arguments.
expect_fail 2 put notes a
expect_stderr_contains "put takes COLLECTION ID JSON_OBJECT"
expect_fail 2 get notes
expect_fail 2 rm notes a b
expect_fail 2 export extra
expect_fail 2 list
expect_fail 2 list notes --db x
expect_stderr_contains "--db is a global option"
expect_fail 2 init --bogus
expect_stderr_contains "unknown option --bogus for init"

# Where the store is: --db, else $SAMBANG_DB, else XDG, else HOME.
expect_ok --db "$WORK/a.db" init
a_id=$(cat "$OUT")
expect_ok --db "$WORK/a.db" status
expect_stdout_contains "replica: $a_id"
(
  unset SAMBANG_DB
  export XDG_DATA_HOME=$WORK/xdg
  expect_ok init
  [ -f "$WORK/xdg/sambang/store.db" ] || fail "XDG_DATA_HOME not used"
  unset XDG_DATA_HOME
  export HOME=$WORK/home
  expect_ok init
  [ -f "$WORK/home/.local/share/sambang/store.db" ] || fail "HOME not used"
  # --db wins over everything.
  expect_ok --db "$WORK/a.db" status
  expect_stdout_contains "replica: $a_id"
)

# init options: server and token kept; bad ones refused before creating.
export SAMBANG_DB=$WORK/hub.db
expect_ok init --server https://hub.example.org --token s3cret
expect_ok status
expect_stdout_contains "server: https://hub.example.org"
expect_stdout_lacks "s3cret"
# The token is kept beside the store (0600), never in it.
[ "$(cat "$SAMBANG_DB.token")" = s3cret ] || fail "token not kept"
[ "$(stat -c %a "$SAMBANG_DB.token")" = 600 ] || fail "token file not 0600"
[ -z "$(sqlite3 "$SAMBANG_DB" "SELECT value FROM meta WHERE key='token'")" ] ||
  fail "the token is in the store's meta"
export SAMBANG_DB=$WORK/bad.db
expect_fail 4 init --server ftp://x
expect_stderr_contains '"ftp://x"'
[ ! -e "$SAMBANG_DB" ] || fail "a refused init must create nothing"
expect_fail 2 init --server https://a --server https://b
expect_stderr_contains "--server is given twice"
# The requests' paths are added to the URL: no query or fragment to
# swallow them, no credentials in it (the token is given apart).
for u in 'https://hub.example.org/?x=1' 'https://hub.example.org/#top' \
  'https://ana:pw@hub.example.org' 'https://ana@hub.example.org/sambang'; do
  expect_fail 4 init --server "$u"
  expect_stderr_contains "server $u: a hub URL"
  [ ! -e "$SAMBANG_DB" ] || fail "a refused init must create nothing ($u)"
done
expect_ok init --server https://hub.example.org/sambang/
rm -f "$SAMBANG_DB"*

# init --schema: checked first; the store then uses it.
cat >"$WORK/schema.json" <<'EOF'
{"version": 1, "collections": {"tree": {"fields": {
  "species": {"type": "enum", "values": ["mango", "durian"], "required": true},
  "height_m": {"type": "int", "min": 0, "max": 100}}}}}
EOF
export SAMBANG_DB=$WORK/trees.db
expect_ok init --schema "$WORK/schema.json"
expect_ok tree add --species Mango --height-m 4
tree=$(cat "$OUT")
expect_ok get tree "$tree"
expect_stdout_is '{"height_m":4,"species":"mango"}'
expect_fail 2 beneficiary add --name x
expect_stderr_contains 'unknown command "beneficiary"'
expect_ok --help
expect_stdout_contains "tree add|edit|list|show"
printf '{"version": 1, "collections": {"x": {"fields": {"a": {"type": "strnig"}}}}}' \
  >"$WORK/bad-schema.json"
export SAMBANG_DB=$WORK/bad-schema.db
expect_fail 4 init --schema "$WORK/bad-schema.json"
expect_stderr_contains 'unknown type "strnig"'
[ ! -e "$SAMBANG_DB" ] || fail "a refused init must create nothing"
expect_fail 3 init --schema "$WORK/none.json"
expect_stderr_contains "$WORK/none.json"
# A byte order mark at the start (Windows editors save one) is left out.
export SAMBANG_DB=$WORK/bom.db
{ printf '\357\273\277'; cat "$WORK/schema.json"; } >"$WORK/bom-schema.json"
expect_ok init --schema "$WORK/bom-schema.json"
expect_ok tree add --species durian

echo "ok"
