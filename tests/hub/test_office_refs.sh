#!/usr/bin/env bash
# test_office_refs.sh - a record takes its kecamatan through any of its
# ref fields, however many its collection has: the office's kept facts
# (daemon/hub/office_tally.c) follow the ninth ref field as the walk does.
. "$(dirname "$0")/lib.sh"

# The shipped schema and a collection of nine ref fields.
python3 - "$(dirname "$0")/../../deploy/schema.json" "$WORK/schema.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
fields = {"r%d" % i: {"type": "ref", "ref": "beneficiary"} for i in range(1, 10)}
fields["note"] = {"type": "string"}
s["collections"]["referral"] = {"scope": {"follows": "r9"}, "fields": fields}
json.dump(s, open(sys.argv[2], "w"))
PY
expect_hub_ok init --schema "$WORK/schema.json"
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin
start_hub
dev a init --server "$URL" --token "$("$HUB" device add a --scope all)" \
  --schema "$WORK/schema.json" >/dev/null
dev a put beneficiary b1 '{"name":"Ibu Sari","groups":["perempuan"],"kecamatan":"Setu","consent":true}' >/dev/null
# f1's first eight name records the hub does not hold; its ninth, b1.
dev a put referral f1 '{"r1":"x1","r2":"x2","r3":"x3","r4":"x4","r5":"x5","r6":"x6","r7":"x7","r8":"x8","r9":"b1","note":"ninth"}' >/dev/null
dev a put referral f2 '{"r1":"b1","note":"first"}' >/dev/null
dev a sync --once --server "$URL" >"$OUT" 2>"$ERR" || fail "sync: $(cat "$ERR")"

req POST /login -c "$WORK/jar" --data 'user=ana&password=admin-pass-1'
expect_status 303
# Chosen from the kept facts, and walked (the CSV): the same rows, both
# referrals in Setu.
table_as_csv referral "kecamatan=Setu" "$WORK/jar"
for id in f1 f2; do
  grep -q "\"$id\"" "$WORK/facts.json" ||
    fail "referral $id is not in Setu: $(cat "$WORK/facts.json")"
done
stop_hub
echo "ok"
