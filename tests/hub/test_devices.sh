#!/usr/bin/env bash
# The sambang-hub command line: init, device add/list/revoke, export,
# conflicts, --help everywhere, exit codes; and a revocation taking effect
# on a running hub at once.
. "$(dirname "$0")/lib.sh"

# --help on every command, with or without a store.
for args in --help help "init --help" "serve --help" "export --help" \
  "conflicts --help" "device --help" "device add --help"; do
  # shellcheck disable=SC2086
  SAMBANG_HUB_DB= "$HUB" $args >"$OUT" 2>"$ERR" || fail "$args must exit 0"
  grep -q '^usage: sambang-hub' "$OUT" || fail "$args must print usage"
done

# Usage errors: 2.
set +e
env SAMBANG_HUB_DB= "$HUB" export >"$OUT" 2>"$ERR"
RC=$?
set -e
[ "$RC" -eq 2 ] || fail "no store: exit 2, got $RC"
grep -q 'give --db PATH or set SAMBANG_HUB_DB' "$ERR" || fail "say how to give a store"
expect_hub_fail 2
expect_hub_fail 2 frobnicate
expect_hub_fail 2 --bogus export
expect_hub_fail 2 device
expect_hub_fail 2 device add
expect_hub_fail 2 device add a b
expect_hub_fail 2 device rename a
expect_hub_fail 2 serve --listen nowhere
expect_hub_fail 2 serve --listen 127.0.0.1:70000
expect_hub_fail 2 serve --listen 999.0.0.1:0
grep -q "ADDR:PORT, not 999.0.0.1:0" "$ERR" || fail "--listen 999.0.0.1:0: $(cat "$ERR")"
expect_hub_fail 2 serve --max-future-ms soon

# No store yet: not found (3), with a hint.
expect_hub_fail 3 export
grep -q 'sambang-hub init' "$ERR" || fail "the error must say to run init"
expect_hub_fail 3 device list

# init prints the hub's replica id; a second init is refused.
expect_hub_ok init
grep -qE '^[0-9a-f]{16}$' "$OUT" || fail "init prints a replica id"
expect_hub_fail 1 init
grep -q 'already exists' "$ERR" || fail "init over a store: already exists"
# --db before the command wins over the environment.
expect_hub_ok --db "$WORK/other.db" init
[ -f "$WORK/other.db" ] || fail "--db must be used"
# A file that is not a store: unusable (6).
printf 'not a database at all, just some text that is long enough......' >"$WORK/junk.db"
expect_hub_fail 6 --db "$WORK/junk.db" export
# init --schema: a bad schema is refused and leaves no store.
printf '{"collections":7}' >"$WORK/bad-schema.json"
expect_hub_fail 4 --db "$WORK/s.db" init --schema "$WORK/bad-schema.json"
[ ! -e "$WORK/s.db" ] || fail "a refused init must leave no file"
# A NUL byte (the text would be cut at it) or a file without end
# (/dev/zero) is refused by name; a byte order mark at the start is left
# out (Windows editors save one) and the schema is kept without it.
printf '{"version":1,"collections":{}}\0{"tail":1}' >"$WORK/nul-schema.json"
expect_hub_fail 4 --db "$WORK/s.db" init --schema "$WORK/nul-schema.json"
grep -q "nul-schema.json contains a NUL byte" "$ERR" || fail "NUL named"
expect_hub_fail 4 --db "$WORK/s.db" init --schema /dev/zero
grep -q "schema file /dev/zero is too large" "$ERR" || fail "size named"
[ ! -e "$WORK/s.db" ] || fail "a refused init must leave no file"
printf '\357\273\277{"version":1,"collections":{"tree":{"fields":{"a":{"type":"string"}}}}}' \
  >"$WORK/bom-schema.json"
expect_hub_ok --db "$WORK/bom.db" init --schema "$WORK/bom-schema.json"
[ "$(sqlite3 "$WORK/bom.db" "SELECT substr(value, 1, 1) FROM meta WHERE key = 'schema'")" = '{' ] ||
  fail "the schema must be kept without its byte order mark"

# device add prints the token alone: 64 hex digits.
expect_hub_ok device add laptop-1 --scope all
tok1=$(cat "$OUT")
grep -qE '^[0-9a-f]{64}$' "$OUT" || fail "the token alone on stdout"
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "one line"
expect_hub_ok device add pi.kiosk_2 --scope Setu,pamulang
tok2=$(cat "$OUT")
[ "$tok1" != "$tok2" ] || fail "tokens must differ"
expect_hub_fail 1 device add laptop-1 --scope all
grep -q 'already exists' "$ERR" || fail "duplicate name"
expect_hub_fail 4 device add 'bad name' --scope all
expect_hub_fail 4 device add -dash --scope all
expect_hub_fail 4 device add "$(printf 'x%.0s' $(seq 65))" --scope all
# A scope is required, and must name the schema's kecamatan (or all).
expect_hub_fail 2 device add tab-9
grep -q 'a scope is required' "$ERR" || fail "say a scope is required"
# Given twice: named as such, not as missing; nothing enrolled.
expect_hub_fail 2 device add tab-9 --scope all --scope Setu
grep -q 'device add: unexpected argument --scope' "$ERR" || fail "$(head -1 "$ERR")"
expect_hub_fail 2 device scope pi.kiosk_2 --set Setu --set all
grep -q 'device scope: unexpected argument --set' "$ERR" || fail "$(head -1 "$ERR")"
expect_hub_fail 4 device add tab-9 --scope Setu,Atlantis
grep -q 'scope part "Atlantis" is not a value' "$ERR" || fail "name the bad part"
grep -q 'Pondok Aren' "$ERR" || fail "list the allowed parts"
expect_hub_fail 4 device add tab-9 --scope ''
expect_hub_fail 4 device add tab-9 --scope 'all,Setu'
expect_hub_fail 3 device scope nobody --set Setu
expect_hub_fail 3 device rotate nobody
expect_hub_fail 3 device revoke nobody

# The store keeps only hashes: the token is nowhere in the file.
if grep -qF "$tok1" "$SAMBANG_HUB_DB"* 2>/dev/null; then
  fail "the token itself must not be stored"
fi

expect_hub_ok device list
[ "$(cut -f1,2,3 "$OUT")" = "$(printf 'laptop-1\t-\tactive\npi.kiosk_2\t-\tactive')" ] ||
  fail "device list before first use"
grep -qE $'\t[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\t' "$OUT" || fail "created time"
# The scope is listed last, in the schema's spelling, sorted.
[ "$(cut -f1,5 "$OUT")" = "$(printf 'laptop-1\tall\npi.kiosk_2\tPamulang,Setu')" ] ||
  fail "device list shows scopes: $(cat "$OUT")"
expect_hub_ok device scope pi.kiosk_2 --set 'Pondok Aren'
expect_hub_ok device list
grep -qF "$(printf 'pi.kiosk_2\t-\tactive')" "$OUT" || fail "still active"
grep -qF "$(printf '\tPondok Aren')" "$OUT" || fail "scope changed"
expect_hub_fail 4 device scope pi.kiosk_2 --set Nowhere
expect_hub_ok device list
grep -qF "$(printf '\tPondok Aren')" "$OUT" || fail "a refused scope changes nothing"

# First use binds the token to the replica id; list shows it.
r1=$(dev_init d1)
start_hub
# A second hub cannot listen on the same port: failure (1), clearly.
expect_hub_fail 1 serve --listen "127.0.0.1:${URL##*:}"
grep -q "cannot listen on 127.0.0.1:${URL##*:}" "$ERR" || fail "say why"
pull "$tok1" "$r1" 'since=0'
expect_status 200
expect_hub_ok device list
grep -qF "$(printf 'laptop-1\t%s\tactive' "$r1")" "$OUT" || fail "bound replica listed"

# Revoking takes effect on the running hub at once.
expect_hub_ok device revoke laptop-1
pull "$tok1" "$r1" 'since=0'
expect_error 403 revoked
expect_hub_ok device revoke laptop-1 # idempotent
expect_hub_ok device list
grep -qF "$(printf 'laptop-1\t%s\trevoked' "$r1")" "$OUT" || fail "revoked listed"
# Another device is not affected.
r2=$(dev_init d2)
pull "$tok2" "$r2" 'since=0'
expect_status 200
# The page states the device's scope.
grep -q '"scope":"Pondok Aren"' "$BODY" || fail "the page names the scope"

# rotate: a new token; the old one stops at once, the new one works.
expect_hub_ok device rotate pi.kiosk_2
tok2b=$(cat "$OUT")
grep -qE '^[0-9a-f]{64}$' "$OUT" || fail "rotate prints the new token"
pull "$tok2" "$r2" 'since=0'
expect_error 401 unauthorized
pull "$tok2b" "$r2" 'since=0'
expect_status 200
# A revoked device cannot be rotated, but its name can be enrolled again:
# a new token that works (even for the same replica), the old one stays
# refused.
expect_hub_fail 4 device rotate laptop-1
grep -q 'enrol it again' "$ERR" || fail "say how to bring it back"
expect_hub_ok device add laptop-1 --scope Setu
tok1b=$(cat "$OUT")
pull "$tok1" "$r1" 'since=0'
expect_error 401 unauthorized
pull "$tok1b" "$r1" 'since=0'
expect_status 200
expect_hub_ok device list
grep -qF "$(printf 'laptop-1\t%s\tactive' "$r1")" "$OUT" || fail "enrolled again"

# export and conflicts on an empty hub print nothing.
expect_hub_ok export
[ ! -s "$OUT" ] || fail "empty export"
expect_hub_ok conflicts
[ ! -s "$OUT" ] || fail "no conflicts"
stop_hub
