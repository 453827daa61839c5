#!/usr/bin/env bash
# Per-part cursors (issue 12): a scope that gains a kecamatan pulls only
# that kecamatan's records (a catch-up of the new part alone, `parts=`),
# not its whole scope again; one that loses a kecamatan pulls nothing; a
# catch-up never reads a part outside the device's scope; a part whose
# name holds a space works; an older client (no `parts`) is unchanged.
. "$(dirname "$0")/lib.sh"

count() { dev "$1" export | wc -l; }
jsync() { # jsync DEVICE: sync --once, figures in $OUT
  dev "$1" --json sync --once >"$OUT" 2>"$ERR" || fail "sync $1: $(cat "$ERR")"
}
num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$OUT"; }

expect_hub_ok init
start_hub
enrol office all
enrol g Setu
pad=$(printf 'x%.0s' {1..80})
for i in $(seq 1 30); do
  for k in "s:Setu" "p:Pamulang" "a:Pondok Aren" "c:Ciputat"; do
    printf '{"collection":"beneficiary","id":"%s%d","fields":{"consent":true,"groups":["miskin"],"kecamatan":"%s","name":"Ibu %s"}}\n' \
      "${k%%:*}" "$i" "${k#*:}" "$pad"
  done
done >"$WORK/rows.jsonl"
dev office import "$WORK/rows.jsonl" >/dev/null || fail "import"
sync_once office
sync_once g
[ "$(count g)" = 30 ] || fail "g holds $(count g) records"
for i in 31 32 33 34 35; do
  printf '{"collection":"beneficiary","id":"s%d","fields":{"consent":true,"groups":["miskin"],"kecamatan":"Setu","name":"Ibu %s"}}\n' "$i" "$pad"
done >"$WORK/more.jsonl"
dev office import "$WORK/more.jsonl" >/dev/null || fail "import"
sync_once office

# Grow: Pamulang comes in. g pulls the 5 new Setu records and Pamulang's
# 30, and the bytes of about that many records, not of its whole scope.
"$HUB" device scope g --set Setu,Pamulang >/dev/null 2>&1 || fail "device scope"
jsync g
[ "$(num pulled)" = 35 ] || fail "grow: pulled $(num pulled), expected 35"
grow=$(num json_down)
[ "$(count g)" = 65 ] || fail "g holds $(count g) records after the grow"
# What a pull of the whole scope from 0 costs: a fresh device of it.
enrol fresh Setu,Pamulang
jsync fresh
full=$(num json_down)
[ "$(count fresh)" = 65 ] || fail "fresh holds $(count fresh)"
[ $((grow * 100)) -lt $((full * 62)) ] ||
  fail "grow read $grow bytes of JSON, a full pull $full: not only the new part"
dev g export >"$WORK/g.x"
dev fresh export >"$WORK/fresh.x"
cmp -s "$WORK/g.x" "$WORK/fresh.x" || fail "g differs from a fresh device of its scope"

# A part with a space in its name, caught up while the main feed moves.
"$HUB" device scope g --set "Setu,Pamulang,Pondok Aren" >/dev/null 2>&1 || fail "device scope"
ben office s36 Setu "Ibu s36 $pad"
sync_once office
jsync g
[ "$(num pulled)" = 31 ] || fail "grow 2: pulled $(num pulled), expected 31"
[ "$(count g)" = 96 ] || fail "g holds $(count g) records after the second grow"

# Shrink: Setu leaves; nothing is pulled, Setu's records leave the store.
"$HUB" device scope g --set "Pamulang,Pondok Aren" >/dev/null 2>&1 || fail "device scope"
jsync g
[ "$(num pulled)" = 0 ] || fail "shrink pulled $(num pulled)"
[ "$(num json_down)" -lt 1000 ] || fail "shrink read $(num json_down) bytes"
[ "$(count g)" = 60 ] || fail "g holds $(count g) records after the shrink"
ids g | grep -q 's1 ' && fail "Setu's records stay on g"

# A catch-up reads only parts of the device's scope (Ciputat is not).
r=$(replica_of g)
pull "$(cat "$WORK/g.tok")" "$r" 'since=0&limit=1000&parts=Ciputat,Pamulang'
expect_status 200
grep -qF '"id":"c1"' "$BODY" && fail "a catch-up of Ciputat reached g"
grep -qF '"id":"p1"' "$BODY" || fail "the catch-up lacks Pamulang"
grep -qF '"id":"a1"' "$BODY" && fail "the catch-up holds a part it did not ask"
pull "$(cat "$WORK/g.tok")" "$r" 'since=0&parts=Ciputat'
expect_status 200
grep -qF '"record"' "$BODY" && fail "a catch-up outside the scope sent records"
pull "$(cat "$WORK/g.tok")" "$r" 'since=0&parts='
expect_status 400
[ "$(error_code)" = bad_query ] || fail "empty parts: $(cat "$BODY")"
# Without parts (an older client): the whole scope, as before.
pull "$(cat "$WORK/g.tok")" "$r" 'since=0&limit=1000'
expect_status 200
[ "$(grep -o '"record"' "$BODY" | wc -l)" = 60 ] || fail "an old client's pull"

# A store whose scope mark does not read (damaged) holds no part for sure:
# when the scope grows, every part of it is caught up (taken for `all`,
# Ciputat's records older than the cursor would never come).
enrol h Setu
sync_once h
[ "$(count h)" = 36 ] || fail "h holds $(count h) records"
[ "$(sqlite3 "$WORK/h.db" "UPDATE meta SET value = 'Setu,,'
  WHERE key = 'sync.scope'; SELECT changes();")" = 1 ] ||
  fail "no scope mark to damage (STORE_META_SCOPE, common/store.h)"
"$HUB" device scope h --set Setu,Ciputat >/dev/null 2>&1 || fail "device scope"
sync_once h
[ "$(count h)" = 66 ] || fail "h holds $(count h) records after its damaged scope grew"
echo "ok"
