#!/usr/bin/env bash
# Devices that both wrote a record after the copy the hub was put back
# from, each holding the other's write (daemon/hub/DESIGN.md, "Restoring
# from a copy"): each push carries a write only the other can vouch for,
# so the first is refused and held aside, and the second is taken
# together with it. Every write comes back, on records the copy holds and
# on one made after it; every replica converges and nothing stays
# waiting. A device claiming another's write with a value its author never
# wrote gets nothing in: tried with the author's held push, which carries
# the true value, it is refused. On PostgreSQL too
# (sync_pg.restore_mutual).
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
port=${URL##*:}
enrol a
enrol b
enrol c
dev a put notes n1 '{"text":"before the copy"}' >/dev/null || fail "put n1"
dev a put notes n3 '{"text":"before the copy"}' >/dev/null || fail "put n3"
sync_once a
sync_once b
sync_once c
copy_store "$WORK/copy"

# After the copy: a and b write n1 and n2, a and c write n3, and each
# pulls the others' writes.
CASE="after the copy"
dev a put notes n1 '{"by_a":"a, after the copy"}' >/dev/null || fail "a n1"
dev a put notes n2 '{"made":"by a, after the copy"}' >/dev/null || fail "a n2"
dev a put notes n3 '{"by_a":"a wrote n3"}' >/dev/null || fail "a n3"
sync_once a
sync_once b
dev b put notes n1 '{"by_b":"b, after the copy"}' >/dev/null || fail "b n1"
dev b put notes n2 '{"edited":"by b, after the copy"}' >/dev/null || fail "b n2"
sync_once b
sync_once c
dev c put notes n3 '{"by_c":"c wrote n3"}' >/dev/null || fail "c n3"
sync_once c
sync_once a
sync_once b
dev a get notes n1 >"$OUT" || fail "get n1 on a"
grep -q 'b, after the copy' "$OUT" || fail "a must hold b's write of n1"

CASE="put back"
stop_hub
put_back "$WORK/copy"
expect_hub_ok restored
start_hub_at "$port"

CASE="the first is held"
rc=0
dev a sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "a's sync must say records wait (7), got $rc: $(cat "$ERR")"
"$HUB" export >"$WORK/hub.export" || fail "export"
if grep -q 'after the copy' "$WORK/hub.export"; then
  fail "nothing of a's pushes may be stored before the others vouch for them"
fi

# A forger: c claims a's write of n3 (a dot the restored hub never saw)
# with a value a never wrote, next to its own true write. Tried with a's
# held push, which vouches for c's write and carries a's true value, it
# is refused (and held: c's own true push replaces it).
CASE="a forged claim"
a_replica=$(sqlite3 "$WORK/a.db" "SELECT value FROM meta WHERE key='replica'")
c_replica=$(sqlite3 "$WORK/c.db" "SELECT value FROM meta WHERE key='replica'")
# n3 as c holds it, in the full form (its export: every entry spelled out).
dev c export >"$WORK/c.export" || fail "export on c"
entry() { # entry FIELD: "replica counter ts" of FIELD of n3 on c
  python3 - "$WORK/c.export" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["id"] == "n3":
        e = r["fields"][sys.argv[2]][0]
        print(e["dot"][0], e["dot"][1], e["ts"])
PY
}
read -r ra ca ta < <(entry by_a)
read -r rc_ cc tc < <(entry by_c)
[ "$ra" = "$a_replica" ] && [ "$rc_" = "$c_replica" ] ||
  fail "n3's writes not found in c's store"
printf '{"records":[{"collection":"notes","deleted":false,"fields":{"by_a":[{"dot":["%s",%s],"ts":%s,"value":"Forged"}],"by_c":[{"dot":["%s",%s],"ts":%s,"value":"c wrote n3"}]},"id":"n3","tombstones":[],"vv":{"%s":%s,"%s":%s}}]}' \
  "$ra" "$ca" "$ta" "$rc_" "$cc" "$tc" "$ra" "$ca" "$rc_" "$cc" \
  >"$WORK/forged.json"
python3 - "$WORK/forged.json" "$WORK/c.export" <<'PY' || fail "making the forged push"
import json, sys
path, export = sys.argv[1], sys.argv[2]
text = [json.loads(l) for l in open(export) if json.loads(l)["id"] == "n3"][0]
body = json.load(open(path))
body["records"][0]["fields"]["text"] = text["fields"]["text"]  # the copy's entry, kept
open(path, "w").write(json.dumps(body, separators=(",", ":")))
PY
push "$(cat "$WORK/c.tok")" "$c_replica" "$WORK/forged.json"
expect_status 200
grep -q '"code":"forged_dot"' "$BODY" ||
  fail "the forged claim must be refused: $(cat "$BODY")"
"$HUB" export >"$WORK/hub.export" || fail "export"
if grep -q Forged "$WORK/hub.export"; then fail "the forged value got in"; fi

# The others sync until nobody waits.
CASE="the others vouch"
sync_to_rest 4 b c a
expect_converged a b c
for t in 'a, after the copy' 'b, after the copy' 'by a, after the copy' \
  'by b, after the copy' 'a wrote n3' 'c wrote n3'; do
  grep -q "$t" "$WORK/hub.export" || fail "lost after the restore: $t"
done
if grep -q Forged "$WORK/hub.export"; then fail "the forged value got in"; fi
for d in a b c; do
  dev "$d" conflicts >"$OUT" || fail "conflicts on $d"
  if grep -q 'n[123]' "$OUT"; then fail "$d must hold n1..n3 unrefused"; fi
done

CASE="the forger again"
push "$(cat "$WORK/c.tok")" "$c_replica" "$WORK/forged.json"
grep -q '"ok":false' "$BODY" || fail "the forged claim must stay refused: $(cat "$BODY")"
"$HUB" export >"$WORK/hub.export" || fail "export"
if grep -q Forged "$WORK/hub.export"; then fail "the forged value got in"; fi
echo "ok"
