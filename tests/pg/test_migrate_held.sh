#!/usr/bin/env bash
# sambang-hub migrate keeps the pushes held aside (daemon/hub/hub_push_held.c):
# f's push of a record that carries g's write, unseen by the hub, is held
# on the SQLite hub; after the store is migrated to PostgreSQL, `held`
# still lists it there, and g's push of the same record is taken together
# with it, so both writes get in.
. "$(dirname "$0")/migrate_lib.sh"

tokF=$("$HUB" device add f --scope all)
tokG=$("$HUB" device add g --scope all)
rF=$(dev_init f)
rG=$(dev_init g)
ts=$(($(now_ms) * 1000))
printf '{"records":[{"collection":"notes","deleted":false,"fields":{"x":[{"dot":["%s",1],"ts":%s,"value":"by f"}],"y":[{"dot":["%s",1],"ts":%s,"value":"by g"}]},"id":"m","tombstones":[],"vv":{"%s":1,"%s":1}}]}' \
  "$rF" "$ts" "$rG" "$ts" "$rF" "$rG" >"$WORK/state.json"

push "$tokF" "$rF" "$WORK/state.json"
expect_status 200
grep -q '"code":"forged_dot"' "$BODY" || fail "f's push alone must be held: $(cat "$BODY")"
stop_hub

CASE="migrate"
PGURI=$(pg_createdb hub)
expect_hub_ok migrate --from "$SAMBANG_HUB_DB" --to "$PGURI"
export SAMBANG_HUB_DB=$PGURI
[ "$(pg_sql hub "SELECT count(*) FROM meta WHERE key LIKE 'held/%'")" = 1 ] ||
  fail "the held push must be copied"
expect_hub_ok held
grep -q "^notes	m	f	$rF	" "$OUT" || fail "held must list f's push: $(cat "$OUT")"

CASE="joint push on PostgreSQL"
start_hub_at "$port"
push "$tokG" "$rG" "$WORK/state.json"
expect_status 200
grep -q '"ok":true' "$BODY" || fail "g's push, with f's held, must pass: $(cat "$BODY")"
hub_export >"$OUT"
for t in 'by f' 'by g'; do
  grep -q "$t" "$OUT" || fail "missing after the joint push: $t"
done
stop_hub
echo ok
