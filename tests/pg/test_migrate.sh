#!/usr/bin/env bash
# sambang-hub migrate (issue 13): devices synced with a SQLite hub carry on
# against a PostgreSQL hub after `migrate --from hub.db --to postgresql://`:
# their tokens work (no re-enrolling), the feed keeps its numbers, so a
# device pulls only what is new, and everyone converges. Bad input to
# migrate changes nothing.
. "$(dirname "$0")/migrate_lib.sh"

enrol d1
enrol d2
tok3=$("$HUB" device add d3 --scope all)
"$HUB" device add gone --scope all >/dev/null
"$HUB" device add tab-setu --scope Setu,Pamulang >/dev/null
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin >/dev/null
printf 'viewer-pass-1\n' | "$HUB" user add vika --role viewer >/dev/null
"$HUB" device revoke gone >/dev/null 2>&1
for i in 1 2 3; do dev d1 put notes "a$i" "{\"i\":$i}" >/dev/null; done
dev d2 put notes b1 '{"from":"d2"}' >/dev/null
dev d1 sync --once >/dev/null || fail "d1 sync"
dev d2 sync --once >/dev/null || fail "d2 sync"
dev d1 sync --once >/dev/null || fail "d1 sync"
expect_converged d1 d2
feed_after() { # feed_after NAME SINCE: the changes page after SINCE, as NAME
  curl -sS "$URL/v1/changes?since=$2&limit=1000" \
    -H "Authorization: Bearer $(cat "$WORK/$1.db.token")" \
    -H "Sambang-Replica: $(replica_of "$1")"
}
last=$(feed_after d1 0 | sed -n 's/.*,"next":\([0-9]*\)\(,"scope":"[^"]*"\)\{0,1\}}$/\1/p')
[ "$last" -ge 4 ] || fail "unexpected feed position $last"
# ana has the dashboard open on the SQLite hub: her session moves too.
code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$WORK/ana.jar" -X POST "$URL/login" \
  --data-urlencode user=ana --data-urlencode password=admin-pass-1)
[ "$code" = 303 ] || fail "ana's login on the SQLite hub answered $code"
stop_hub
"$HUB" device list >"$WORK/devices.sqlite"
"$HUB" user list >"$WORK/users.sqlite"
"$HUB" export >"$WORK/export.sqlite"

CASE="bad input"
PGURI=$(pg_createdb hub)
expect_hub_fail 2 migrate --from "$SAMBANG_HUB_DB"
expect_hub_fail 2 migrate --from "$SAMBANG_HUB_DB" --to "$WORK/other.db"
hub migrate --from "$WORK/missing.db" --to "$PGURI"
[ "$RC" -ne 0 ] || fail "a missing source must fail"
[ "$(pg_sql hub "SELECT to_regclass('records') IS NULL")" = t ] ||
  fail "a failed migrate must leave the database empty"

CASE="migrate"
expect_hub_ok migrate --from "$SAMBANG_HUB_DB" --to "$PGURI"
grep -q "^copied 4 records and 5 devices$" "$OUT" || fail "migrate's summary"
hub migrate --from "$SAMBANG_HUB_DB" --to "$PGURI"
[ "$RC" -ne 0 ] && grep -q 'already exists' "$ERR" ||
  fail "a second migrate into the same database must be refused"
export SAMBANG_HUB_DB=$PGURI
"$HUB" device list >"$WORK/devices.pg"
cmp -s "$WORK/devices.sqlite" "$WORK/devices.pg" || fail "devices differ after migrate"
grep -q 'tab-setu.*Pamulang,Setu' "$WORK/devices.pg" || fail "a device's scope must be copied"
"$HUB" user list >"$WORK/users.pg"
grep -q '^ana' "$WORK/users.pg" || fail "office users must be copied"
cmp -s "$WORK/users.sqlite" "$WORK/users.pg" || fail "office users differ after migrate"
"$HUB" export >"$WORK/export.pg"
cmp -s "$WORK/export.sqlite" "$WORK/export.pg" || fail "records differ after migrate"

CASE="devices carry on"
start_hub_at "$port"
dev d1 put notes a4 '{"i":4}' >/dev/null
dev d1 sync --once >/dev/null || fail "d1 sync after migrate (token must still work)"
# d2's cursor is the SQLite hub's last seq: only the new record is after it.
pull_count=$(feed_after d2 "$last" | grep -o '{"record":' | wc -l)
[ "$pull_count" -eq 1 ] || fail "after the cursor there must be 1 change, not $pull_count"
dev d2 sync --once >/dev/null || fail "d2 sync after migrate"
expect_converged d1 d2
# ana's session from the SQLite hub still works: no new login.
code=$(curl -sS -o "$WORK/dev.json" -w '%{http_code}' -b "$WORK/ana.jar" "$URL/api/devices")
[ "$code" = 200 ] && grep -q '"name":"d1"' "$WORK/dev.json" ||
  fail "ana's session after migrate answered $code"
# An office user logs in to the dashboard with the password set on SQLite.
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/login" \
  --data-urlencode user=ana --data-urlencode password=admin-pass-1)
[ "$code" = 303 ] || fail "ana's login after migrate answered $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$URL/login" \
  --data-urlencode user=ana --data-urlencode password=wrong-pass-1)
[ "$code" = 401 ] || fail "a wrong password after migrate answered $code"
# The revoked device stays revoked.
grep -q '^gone' "$WORK/devices.pg" || fail "the revoked device must be copied"
stop_hub
