#!/usr/bin/env bash
# Per-part cursors (issue 12): a part gained while the catch-up of an
# earlier gain is still running starts only that part from 0; the earlier
# catch-up goes on from its own cursor (it used to start again from 0 for
# all its parts). The catch-up is stopped mid-way by a kill -9 of the
# sync, once a third of the gained part is in the store (through a proxy
# that delays each chunk 0-20 ms, so it cannot end first). A queue that
# does not read is an error the sync names, never passed over.
. "$(dirname "$0")/lib.sh"

n=600 # records per kecamatan; read 5 a page, 120 pages
jsync() { # jsync DEVICE: sync --once in small pages, figures in $OUT
  dev "$1" --json sync --once --config "$WORK/pages.conf" >"$OUT" 2>"$ERR" ||
    fail "sync $1: $(cat "$ERR")"
}
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$OUT"; }

printf 'page = 5\n' >"$WORK/pages.conf"
expect_hub_ok init
start_hub
enrol office all
enrol g Setu
for k in "s:Setu" "p:Pamulang" "a:Pondok Aren"; do
  for ((i = 0; i < n; i++)); do
    printf '{"collection":"beneficiary","id":"%s%d","fields":{"consent":true,"groups":["miskin"],"kecamatan":"%s","name":"Ibu %s%d"}}\n' \
      "${k%%:*}" "$i" "${k#*:}" "${k%%:*}" "$i"
  done
done >"$WORK/rows.jsonl"
dev office import "$WORK/rows.jsonl" >/dev/null || fail "import"
sync_once office
sync_once g

# Pamulang comes in; its catch-up is killed once a third of it is stored.
"$HUB" device scope g --set Setu,Pamulang >/dev/null 2>&1 || fail "device scope"
start_proxy "${URL##*:}" --delay-ms 20
SAMBANG_DB=$WORK/g.db "$SAMBANG" sync --once --config "$WORK/pages.conf" \
  --server "$PROXY_URL" >/dev/null 2>&1 &
pid=$!
third() { [ "$(ids g | wc -w)" -ge $((n + n / 3)) ]; }
wait_until 30 third
kill -STOP "$pid" 2>/dev/null || fail "the catch-up ended before it could be stopped"
had=$(($(ids g | wc -w) - n))
{
  kill -KILL "$pid"
  wait "$pid"
} 2>/dev/null || true
[ "$had" -lt "$n" ] || fail "the catch-up was done ($had) before it was stopped"
# The store keeps it as "SINCE UNTIL PARTS"; written back as the three
# keys a device before the queue kept, it must resume the same way.
sql() { sqlite3 "$WORK/g.db" "$@"; }
read -r since until parts <<<"$(sql "SELECT value FROM meta WHERE key =
  'sync.catchups'")"
[ "$parts" = Pamulang ] && [ "$since" -gt 0 ] ||
  fail "catch-up kept as \"$since $until $parts\""
sql "DELETE FROM meta WHERE key = 'sync.catchups'; INSERT INTO meta
  VALUES('sync.catchup.parts', '$parts'), ('sync.catchup.since', '$since'),
  ('sync.catchup.until', '$until')" || fail "sqlite3"

# Pondok Aren comes in before the Pamulang catch-up is done: Pamulang
# goes on from where it was, Pondok Aren from 0.
"$HUB" device scope g --set "Setu,Pamulang,Pondok Aren" >/dev/null 2>&1 ||
  fail "device scope"
jsync g
[ "$(num pulled)" = $((n - had + n)) ] ||
  fail "pulled $(num pulled), expected $((n - had + n))"
resumed=$(num json_down)
[ "$(ids g | wc -w)" = $((3 * n)) ] || fail "g holds $(ids g | wc -w) records"
[ "$(sql "SELECT count(*) FROM meta WHERE key LIKE 'sync.catchup%'")" = 0 ] ||
  fail "a catch-up is left after it was done"
# What reading Pamulang and Pondok Aren whole costs: a fresh device of them.
enrol fresh "Pamulang,Pondok Aren"
jsync fresh
whole=$(num json_down)
# Pamulang again from 0 would read about whole; from its cursor, about
# (2n - had)/(2n) of it (had >= n/3: at most 5/6).
[ $((resumed * 100)) -lt $((whole * 90)) ] ||
  fail "the second gain read $resumed bytes of JSON, both parts whole $whole:" \
    "the first catch-up started again from 0"
dev g export | grep -v '"value":"Setu"' >"$WORK/g.x"
dev fresh export >"$WORK/fresh.x"
cmp -s "$WORK/g.x" "$WORK/fresh.x" || fail "g differs from a fresh device of its scope"

# A queue line that does not read (a cursor past 2^53, a sign, a stray
# character) is an error named by the sync, never passed over: the line
# stays as it was (a save would have dropped its parts for good).
for bad in "18446744073709551616 600 Pamulang" "-415 600 Pamulang" \
  "415x 600 Pamulang" "415 600 Pamulang
0 1x Setu"; do
  sql "DELETE FROM meta WHERE key = 'sync.catchups';
    INSERT INTO meta VALUES('sync.catchups', '$bad')" || fail "sqlite3"
  if dev g sync --once >"$OUT" 2>"$ERR"; then
    fail "a sync over the catch-up queue \"$bad\" succeeded"
  fi
  grep -q "sync.catchups" "$ERR" || fail "the error does not name the queue: $(cat "$ERR")"
  [ "$(sql "SELECT value FROM meta WHERE key = 'sync.catchups'")" = "$bad" ] ||
    fail "the queue \"$bad\" was rewritten"
done
sql "DELETE FROM meta WHERE key = 'sync.catchups'" || fail "sqlite3"
dev g sync --once >"$OUT" 2>"$ERR" || fail "sync after the queue was removed: $(cat "$ERR")"
echo "ok"
