#!/usr/bin/env bash
# A device speaks only for itself (daemon/hub/DESIGN.md, "Push"): with two
# enrolled devices on a real hub, device 2 rewrites device 1's write
# (its dot again, with timestamp 0 and a new value), wipes one of device
# 1's records (its version vector, no fields, no tombstone, no write of
# its own) and erases one field of another. Each is refused per record
# (dot_reused, forged_entry), the rest of the batch is applied, the hub's
# export is unchanged (checksum), /metrics counts them and the hub's log
# names the device.
. "$(dirname "$0")/lib.sh"

"$HUB" init >/dev/null
tok1=$("$HUB" device add tab-1 --scope all)
tok2=$("$HUB" device add tab-2 --scope all)
r1=$(dev_init one)
r2=$(dev_init two)
dev one put beneficiary b1 '{"name":"Ibu Sari","groups":["perempuan"],"kecamatan":"Pamulang","consent":true}' >/dev/null
dev one put beneficiary b2 '{"name":"Pak Budi","groups":["miskin"],"kecamatan":"Ciputat","consent":true}' >/dev/null
batch_of one >"$WORK/one.json"

start_hub
push "$tok1" "$r1" "$WORK/one.json"
expect_status 200
expect_body_lacks '"ok":false'

b1=$(dev one export | grep '"id":"b1"')
b2=$(dev one export | grep '"id":"b2"')
# The attacks, built from the states device 2 receives from the feed.
rewrite=$(printf '%s' "$b1" | sed 's/"ts":[0-9]*,"value":"Pamulang"/"ts":0,"value":"Setu"/')
wipe=$(printf '%s' "$b2" | sed 's/"fields":{.*},"id"/"fields":{},"id"/')
erase=$(printf '%s' "$b1" | sed 's/,"name":\[{[^}]*}\]//')
[ "$rewrite" != "$b1" ] && [ "$wipe" != "$b2" ] && [ "$erase" != "$b1" ] ||
  fail "the attacks were not built"
printf '%s' "$erase" | grep -q '"name"' && fail "the erase attack still has the name"
dev two put notes n1 '{"t":1}' >/dev/null
own=$(dev two export | grep '"id":"n1"')

hub_export | sha256sum >"$WORK/before"
printf '{"records":[%s,%s,%s]}' "$rewrite" "$wipe" "$erase" >"$WORK/attack.json"
push "$tok2" "$r2" "$WORK/attack.json"
expect_status 200
expect_body_contains '{"collection":"beneficiary","error":{"code":"dot_reused","message":"beneficiary/b1: field \"kecamatan\"'
expect_body_contains '{"collection":"beneficiary","error":{"code":"forged_entry","message":"beneficiary/b2: it drops'
expect_body_contains 'beneficiary/b1: it drops field \"name\"'
[ "$(grep -o '"ok":false' "$BODY" | wc -l)" -eq 3 ] || fail "not all 3 refused"
hub_export | sha256sum >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "the hub's export changed"

# Refused per record: the device's own write in the same batch is stored.
printf '{"records":[%s,%s]}' "$wipe" "$own" >"$WORK/mixed.json"
push "$tok2" "$r2" "$WORK/mixed.json"
expect_status 200
expect_body_contains '"code":"forged_entry"'
expect_body_contains '"id":"n1","ok":true'
hub_export | grep -q '"id":"n1"' || fail "device 2's own record was not stored"
hub_export | grep '"id":"b1"' | grep -q '"Pamulang"' || fail "b1 lost Pamulang"
hub_export | grep '"id":"b2"' | grep -q '"Pak Budi"' || fail "b2 was wiped"

[ "$(metric 'sambang_hub_records_refused_total{code="forged_entry"}')" = 3 ] ||
  fail "forged_entry not counted: $(metric 'sambang_hub_records_refused_total{code="forged_entry"}')"
[ "$(metric 'sambang_hub_records_refused_total{code="dot_reused"}')" = 1 ] ||
  fail "dot_reused not counted"
grep -q 'push from device tab-2 (replica '"$r2"'): records\[1\] refused, forged_entry: beneficiary/b2' "$WORK/hub.log" ||
  fail "the hub's log does not name the device: $(grep -i refused "$WORK/hub.log")"

# Device 1 still sees its own writes after a sync round.
pull "$tok1" "$r1" 'since=0'
expect_status 200
expect_body_contains '"value":"Pamulang"'
expect_body_lacks '"value":"Setu"'

echo "forged pushes refused per record"
stop_hub
