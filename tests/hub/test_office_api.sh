#!/usr/bin/env bash
# test_office_api.sh - the office dashboard's API (daemon/hub/OFFICE.md)
# with curl against a real hub: no route without a session, CSRF, roles,
# no personal field for a viewer, the login throttle, a resolution written
# as the hub's replica that reaches a device, 409 on a stale one, CSV equal
# to `sambang-hub export --csv`, security headers, a hostile value as text;
# a resolve never brings a deleted record back nor drops a value silently,
# and every malformed query parameter is a 400 naming it.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin
printf 'review-pass-1\n' | "$HUB" user add rina --role reviewer
printf 'viewer-pass-1\n' | "$HUB" user add vika --role viewer
printf 'locked-pass-1\n' | "$HUB" user add lola --role viewer

CASE="user commands refuse bad input"
hub user add ana --role admin <<<'admin-pass-1'
[ "$RC" -eq 1 ] && grep -q "already exists" "$ERR" || fail "a second user ana: exit $RC"
hub user add bob --role viewer <<<'short'
[ "$RC" -eq 4 ] || fail "a short password: exit $RC, want 4"
expect_hub_fail 2 user add bob --role boss
expect_hub_fail 2 user add bob --role viewer --role admin
grep -q 'user add: unexpected argument --role' "$ERR" || fail "$(head -1 "$ERR")"
# A password longer than 1023 bytes is refused, not cut; a NUL in it too.
hub user add bob --role viewer <<<"$(printf 'p%.0s' {1..1500})"
[ "$RC" -eq 4 ] && grep -q "1023" "$ERR" || fail "a 1500-byte password: exit $RC: $(cat "$ERR")"
hub user add bob --role viewer < <(printf 'pass\0word123\n')
[ "$RC" -eq 4 ] && grep -q "NUL" "$ERR" || fail "a password with a NUL byte: exit $RC: $(cat "$ERR")"
hub user add bob --role viewer <<<"$(printf 'p%.0s' {1..1023})"
[ "$RC" -eq 0 ] || fail "a 1023-byte password refused: $(cat "$ERR")"
expect_hub_ok user remove bob
expect_hub_fail 3 user remove nobody
expect_hub_ok user list
[ "$(cut -f1,2 "$OUT" | tr '\t\n' ':,')" = "ana:admin,lola:viewer,rina:reviewer,vika:viewer," ] ||
  fail "user list: $(cat "$OUT")"
grep -q 'argon2id\|admin-pass' "$OUT" && fail "user list shows a hash or password"
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  pg_sql hub "select pwhash from office_users where name = 'ana'"
else
  sqlite3 "$SAMBANG_HUB_DB" "select value from meta where key='office.user.ana'"
fi | grep -q '\$argon2id\$' || fail "the password is not kept as an Argon2id hash"

# A desktop's default language list: the hub still answers each request
# in the language it asks for (checked below).
LANGUAGE=en_US:en start_hub

# Two devices edit one beneficiary at once: a conflict on kelurahan.
for d in a b; do
  tok=$("$HUB" device add "$d" --scope all)
  dev "$d" init --server "$URL" --token "$tok" >/dev/null
done
dev a put beneficiary b1 '{"name":"Ibu Sari","groups":["perempuan"],"kecamatan":"Serpong","consent":true,"kelurahan":"Lengkong"}' >/dev/null
dev a put beneficiary b2 '{"name":"<script>alert(1)</script>","groups":["anak"],"kecamatan":"Setu","consent":true,"kelurahan":"<script>alert(1)</script>"}' >/dev/null
dev a put visit v1 '{"beneficiary":"b1","date":"2024-05-03","programme":"skills-cooking","notes":"a, \"quoted\" note"}' >/dev/null
dev a sync --once >/dev/null
dev b sync --once >/dev/null
dev a put beneficiary b1 '{"kelurahan":"Cilenggang"}' >/dev/null
dev b put beneficiary b1 '{"kelurahan":"Rawa Mekar Jaya"}' >/dev/null
dev a sync --once >/dev/null
dev b sync --once >/dev/null
"$HUB" conflicts | grep -q $'^beneficiary\tb1\tkelurahan$' || fail "no conflict at the hub"

CASE="sambang-hub conflicts --values names what competes and who wrote it"
expect_hub_ok conflicts --values
grep -q $'^beneficiary\tb1\tkelurahan$' "$OUT" || fail "no siblings line: $(cat "$OUT")"
grep -q '^  kelurahan \[[12]\] Cilenggang  (device a, [0-9-]* [0-9:]*)' "$OUT" &&
  grep -q '^  kelurahan \[[12]\] Rawa Mekar Jaya  (device b, [0-9-]* [0-9:]*)' "$OUT" ||
  fail "no value lines with the devices' names: $(cat "$OUT")"
[ "$(grep -c '(shown)$' "$OUT")" = 1 ] || fail "one value must be marked shown: $(cat "$OUT")"
expect_hub_ok conflicts
grep -q '^  ' "$OUT" && fail "values without --values into a pipe: $(cat "$OUT")"
expect_hub_ok conflicts --values --no-values
grep -q '^  ' "$OUT" && fail "--no-values still prints values"
expect_hub_fail 2 conflicts --vals
grep -q -- "--vals" "$ERR" || fail "the bad option is not named: $(cat "$ERR")"

CASE="no session: every route refused"
for p in /api/session /api/overview /api/records/beneficiary \
  /api/record/beneficiary/b1 /api/conflicts /api/devices /api/nothing; do
  req GET "$p"
  expect_status 401
  grep -q '"code":"unauthorized"' "$BODY" || fail "$p: not the unauthorized envelope"
done
for p in /api/resolve /api/devices /api/devices/a/revoke /logout; do
  req POST "$p" -H 'Content-Type: application/json' --data '{}'
  expect_status 401
done
req GET /export/beneficiary.csv
expect_status 401
req GET /
expect_status 303
grep -qi '^Location: /login' "$HEADERS" || fail "/ without a session must go to /login"
req GET /login
expect_status 200
req GET /assets/chart.js
expect_status 200
grep -q 'Chart.js v3' "$BODY" || fail "chart.js is not Debian's Chart.js"

CASE="security headers"
req GET /login
grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'" "$HEADERS" ||
  fail "no strict CSP"
grep -qi '^X-Frame-Options: DENY' "$HEADERS" || fail "no X-Frame-Options"
grep -qi '^X-Content-Type-Options: nosniff' "$HEADERS" || fail "no nosniff"
grep -qi 'unsafe-inline' "$HEADERS" && fail "the CSP allows inline code"

# login USER PASSWORD: a cookie jar $WORK/USER.jar; $STATUS is the reply's.
login() {
  req POST /login -c "$WORK/$1.jar" --data-urlencode "user=$1" \
    --data-urlencode "password=$2"
}
csrf_of() {
  curl -sS -b "$WORK/$1.jar" "$URL/api/session" | sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p'
}

CASE="login"
login ana admin-pass-1
expect_status 303
grep -i '^Set-Cookie: sambang_session=' "$HEADERS" | grep -i 'HttpOnly' |
  grep -i 'SameSite=Strict' | grep -qi 'Path=/' || fail "session cookie flags: $(grep -i set-cookie "$HEADERS")"
grep -i '^Set-Cookie: sambang_session=' "$HEADERS" | grep -qi 'Secure' &&
  fail "a Secure cookie over plain HTTP (the browser would drop it)"
login ana wrong-password
expect_error 401 bad_login
login nobody whatever-pw
expect_error 401 bad_login
req POST /login --data 'user=ana'
expect_status 400
login rina review-pass-1
expect_status 303
login vika viewer-pass-1
expect_status 303

CASE="a login form as browsers encode it; the session cookie among others"
# A password with a space, +, &, = and %: the form's escapes decoded, a
# "+" a space (curl --data-urlencode sends %20, a browser "+").
printf 'kata sandi+&=%%41\n' | "$HUB" user add sita --role viewer
req POST /login --data-urlencode 'user=sita' --data-urlencode 'password=kata sandi+&=%41'
expect_status 303
req POST /login --data 'user=sita&password=kata+sandi%2B%26%3D%2541'
expect_status 303
req POST /login --data 'user=sita&password=kata+sandi+%26%3D%2541'
expect_error 401 bad_login
req POST /login --data 'user=sita%00&password=kata+sandi%2B%26%3D%2541'
expect_status 400
# A field given twice is ambiguous: refused, whichever would have worked.
req POST /login --data 'user=sita&password=kata+sandi%2B%26%3D%2541&user=ana'
expect_error 400 bad_request
grep -q 'once each' "$BODY" || fail "the refusal does not say why: $(cat "$BODY")"
req POST /login --data 'user=sita&password=wrong&password=kata+sandi%2B%26%3D%2541'
expect_error 400 bad_request
"$HUB" user remove sita >/dev/null
token=$(awk '$6 == "sambang_session" {print $7}' "$WORK/vika.jar")
[ ${#token} = 64 ] || fail "no session cookie in vika's jar: $(cat "$WORK/vika.jar")"
req GET /api/session -H "Cookie: theme=gelap; sambang_session=$token; lang=id"
expect_status 200
grep -q '"user":"vika"' "$BODY" || fail "the session among other cookies: $(cat "$BODY")"
for bad in "${token}0" "${token:1}" "${token^^}" "x$token"; do
  req GET /api/session -H "Cookie: sambang_session=$bad"
  expect_status 401
done
req GET /api/session -H "Cookie: sambang_sessionx=$token"
expect_status 401
# Two session cookies (one tossed in by another site of the domain, to
# pass its session off as this user's): neither is taken, whichever is
# first, and the refusal says what to do.
login ana admin-pass-1
atoken=$(awk '$6 == "sambang_session" {print $7}' "$WORK/ana.jar")
for pair in "$token; sambang_session=$atoken" "$atoken; sambang_session=$token"; do
  for p in /api/session /; do
    req GET "$p" -H "Cookie: sambang_session=$pair"
    expect_error 400 bad_request
    grep -q 'two sambang_session cookies' "$BODY" || fail "$p: $(cat "$BODY")"
  done
done

CASE="failed logins are slowed (a lockout per user)"
for i in 1 2 3 4 5; do
  login lola "wrong-$i"
  expect_error 401 bad_login
done
login lola locked-pass-1
expect_error 429 locked
grep -qi '^Retry-After: [1-9]' "$HEADERS" || fail "no Retry-After on a lockout"
# Another user from the same address is not locked out by lola's failures.
login ana admin-pass-1
expect_status 303

CASE="CSRF"
req GET /api/record/beneficiary/b1 -b "$WORK/rina.jar"
expect_status 200
seq=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$BODY" | head -1)
req POST /api/resolve -b "$WORK/rina.jar" -H 'Content-Type: application/json' \
  --data "{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$seq,\"fields\":{\"kelurahan\":\"Cilenggang\"}}"
expect_status 403
grep -q '"code":"csrf"' "$BODY" || fail "no csrf code"
req POST /api/resolve -b "$WORK/rina.jar" -H "X-CSRF-Token: $(printf '0%.0s' {1..64})" \
  --data "{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$seq,\"fields\":{\"kelurahan\":\"Cilenggang\"}}"
expect_status 403
"$HUB" conflicts | grep -q $'^beneficiary\tb1\tkelurahan$' || fail "a refused resolve changed the record"

CASE="a viewer reads, without personal fields, and cannot resolve"
for p in /api/records/beneficiary /api/record/beneficiary/b1 /api/conflicts \
  /api/session /api/overview; do
  req GET "$p" -b "$WORK/vika.jar"
  expect_status 200
  grep -q '"name":"Ibu\|"name":"<script\|"name":{\|"contact"\|"name":"name"\|Ibu Sari' "$BODY" && fail "$p gives a viewer a personal field"
done
vcsrf=$(csrf_of vika)
req POST /api/resolve -b "$WORK/vika.jar" -H "X-CSRF-Token: $vcsrf" \
  --data "{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$seq,\"fields\":{\"kelurahan\":\"Cilenggang\"}}"
expect_status 403
grep -q '"code":"forbidden"' "$BODY" || fail "no forbidden code"
req GET '/export/beneficiary.csv?personal=1' -b "$WORK/vika.jar"
expect_status 403
req POST /api/devices -b "$WORK/vika.jar" -H "X-CSRF-Token: $vcsrf" --data '{"name":"x"}'
expect_status 403

CASE="a reviewer sees personal fields and the siblings with their devices"
req GET /api/record/beneficiary/b1 -b "$WORK/rina.jar"
grep -q '"name":{"winner":"Ibu Sari"' "$BODY" || fail "the reviewer does not see the name"
grep -q '"value":"Cilenggang","device":"a"' "$BODY" || fail "no sibling of device a"
grep -q '"value":"Rawa Mekar Jaya","device":"b"' "$BODY" || fail "no sibling of device b"
# Who wrote it and how often: a put and an edit by a, an edit by b.
grep -q '"writers":\[.*{"device":"a","replica":"[0-9a-f]*","writes":2}' "$BODY" &&
  grep -q '"writers":\[.*{"device":"b","replica":"[0-9a-f]*","writes":1}' "$BODY" ||
  fail "the record's writers: $(cat "$BODY")"

CASE="the conflict queue gives each field's competing values and devices"
req GET /api/conflicts -b "$WORK/rina.jar"
expect_status 200
grep -q '"fields":\["kelurahan"\],"siblings":{"kelurahan":\[{"value":"[A-Za-z ]*","device":"[ab]"' "$BODY" ||
  fail "no siblings in the queue: $(cat "$BODY")"
grep -q '"value":"Cilenggang","device":"a"' "$BODY" && grep -q '"value":"Rawa Mekar Jaya","device":"b"' "$BODY" ||
  fail "the queue lacks a competing value: $(cat "$BODY")"

CASE="resolve: stale refused with 409, then written as the hub's replica"
rcsrf=$(csrf_of rina)
req POST /api/resolve -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf" \
  --data "{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$((seq - 1)),\"fields\":{\"kelurahan\":\"Cilenggang\"}}"
expect_status 409
grep -q '"code":"stale"' "$BODY" && grep -q "\"record\":{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$seq" "$BODY" ||
  fail "a stale resolve must answer 409 with the record's state now"
req POST /api/resolve -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf" \
  --data "{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$seq,\"fields\":{\"kelurahan\":\"Cilenggang\"}}"
expect_status 200
req POST /api/resolve -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf" \
  --data "{\"collection\":\"beneficiary\",\"id\":\"b1\",\"seq\":$seq,\"fields\":{\"kelurahan\":\"X\"}}"
expect_status 409
req POST /api/resolve -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf" \
  --data '{"collection":"beneficiary","id":"b1","seq":1,"fields":{"kecamatan":"Mars"}}'
expect_status 400
"$HUB" conflicts | grep -q 'b1' && fail "the hub still lists b1 in conflict"
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  hub_replica=$(pg_sql hub "select value from meta where key='replica'")
else
  hub_replica=$(sqlite3 "$SAMBANG_HUB_DB" "select value from meta where key='replica'")
fi
"$HUB" export | grep '"id":"b1"' | grep -q "\"dot\":\[\"$hub_replica\"" ||
  fail "the resolution is not a write of the hub's replica"
dev b sync --once >/dev/null
dev b get beneficiary b1 | grep -q '"kelurahan":"Cilenggang"' || fail "device b did not get the resolution"
dev b conflicts >"$OUT"
grep -q b1 "$OUT" && fail "device b still has b1 in conflict"

CASE="a hostile value comes back as JSON text"
req GET '/api/records/beneficiary?q=script' -b "$WORK/rina.jar"
expect_status 200
grep -qi '^Content-Type: application/json' "$HEADERS" || fail "not JSON"
grep -q '"kelurahan":"<script>alert(1)</script>"' "$BODY" || fail "the value is not plain JSON text"

CASE="filters"
req GET '/api/records/beneficiary?kecamatan=Setu' -b "$WORK/vika.jar"
grep -q '"total":1,' "$BODY" && grep -q '"id":"b2"' "$BODY" || fail "kecamatan filter"
req GET '/api/records/visit?kecamatan=Serpong&from=2024-05-01&to=2024-05-31' -b "$WORK/vika.jar"
grep -q '"total":1,' "$BODY" || fail "visit filter by its beneficiary's kecamatan and date"
req GET '/api/records/visit?to=2024-04-30' -b "$WORK/vika.jar"
grep -q '"total":0,' "$BODY" || fail "date filter"
req GET '/api/overview' -b "$WORK/vika.jar"
grep -q '"visits_by_month_kecamatan":{"2024-05":{"Serpong":1}}' "$BODY" || fail "overview"

CASE="CSV equals sambang-hub export --csv"
expect_hub_fail 2 export --csv
grep -q 'export: --csv needs a COLLECTION' "$ERR" || fail "export --csv alone: $(cat "$ERR")"
expect_hub_fail 3 export --csv nothing
# Its filters: bad input is a usage error naming it, before the store.
expect_hub_fail 2 export --csv visit --from 2026-02-30
grep -q 'export: --from takes a date YYYY-MM-DD that exists, not "2026-02-30"' "$ERR" ||
  fail "a date that does not exist: $(cat "$ERR")"
expect_hub_fail 2 export --csv visit --kecamatan
grep -q 'export: --kecamatan needs a value' "$ERR" || fail "a filter without its value: $(cat "$ERR")"
expect_hub_fail 2 export --csv visit --kecamatan ''
grep -q 'export: --kecamatan needs a value' "$ERR" || fail "an empty filter: $(cat "$ERR")"
expect_hub_fail 2 export --csv visit --colour red
grep -q 'export: unexpected argument --colour' "$ERR" || fail "an unknown option: $(cat "$ERR")"
expect_hub_fail 2 export --csv visit --kecamatan Setu --kecamatan Serpong
grep -q 'export: --kecamatan is given twice' "$ERR" || fail "a filter given twice: $(cat "$ERR")"
# A value no field of the schema may hold is refused, not an empty CSV.
expect_hub_fail 4 export --csv visit --kecamatan Nowhere
grep -q 'kecamatan: "Nowhere" is not a value of the schema (one of: .*Setu' "$ERR" ||
  fail "an unknown kecamatan: $(cat "$ERR")"
[ ! -s "$OUT" ] || fail "an unknown kecamatan printed a CSV"
expect_hub_fail 4 export --csv beneficiary --group kids
grep -q 'group: "kids" is not a value' "$ERR" || fail "an unknown group: $(cat "$ERR")"
# v1 (b1's, in Serpong, May 2024) and nothing else, by each filter.
expect_hub_ok export --csv visit --kecamatan Serpong --programme skills-cooking --from 2024-05-01 --to 2024-05-31
[ "$(wc -l <"$OUT")" = 2 ] && grep -q '^v1,b1,' "$OUT" || fail "filtered export: $(cat "$OUT")"
expect_hub_ok export --csv visit --kecamatan Setu
[ "$(wc -l <"$OUT")" = 1 ] || fail "a kecamatan without visits: $(cat "$OUT")"
expect_hub_ok export --csv visit --from 2024-05-04
[ "$(wc -l <"$OUT")" = 1 ] || fail "a date after v1's: $(cat "$OUT")"
req GET /export/visit.csv -b "$WORK/ana.jar"
expect_status 200
grep -qi '^Content-Type: text/csv' "$HEADERS" || fail "not text/csv"
"$HUB" export --csv visit >"$WORK/cli.csv"
cmp -s "$BODY" "$WORK/cli.csv" || fail "GET /export/visit.csv differs from export --csv"
head -c 3 "$BODY" | od -An -tx1 | grep -q 'ef bb bf' || fail "no BOM"
grep -q '"a, ""quoted"" note"' "$BODY" || fail "CSV quoting"
req GET /export/beneficiary.csv -b "$WORK/vika.jar"
head -1 "$BODY" | grep -q ',name,\|contact' && fail "a viewer's CSV has personal columns"
req GET '/export/beneficiary.csv?personal=1' -b "$WORK/ana.jar"
"$HUB" export --csv beneficiary --personal >"$WORK/cli.csv"
cmp -s "$BODY" "$WORK/cli.csv" || fail "personal CSV differs from export --csv --personal"
head -1 "$BODY" | grep -q 'name' || fail "the admin's personal CSV has no name"
# Data leaving in bulk is in the audit trail: who, what, how many rows.
rows=$("$HUB" export --csv beneficiary | python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)')
grep -q "office: audit: ana (admin) exported beneficiary as CSV with personal fields ($rows rows)" "$WORK/hub.log" ||
  fail "no audit line for the personal export ($rows rows): $(grep 'exported' "$WORK/hub.log")"
grep -q 'office: audit: vika (viewer) exported beneficiary as CSV (' "$WORK/hub.log" ||
  fail "no audit line for the viewer's export"

CASE="a CSV cell a spreadsheet would run as a formula is text"
# Each of = + - @, and a tab or carriage return before one, gets a '.
dev a put visit v9 '{"beneficiary":"b2","date":"2024-06-01","programme":"skills-cooking","notes":"=HYPERLINK(\"http://x\",\"klik\")","outcome":"@SUM(1+1)"}' >/dev/null
dev a put visit v10 '{"beneficiary":"b2","date":"2024-06-02","programme":"skills-cooking","notes":"\t=1+1","outcome":"\r+2"}' >/dev/null
dev a put visit v11 '{"beneficiary":"b2","date":"2024-06-03","programme":"skills-cooking","notes":"-3","outcome":"a = b"}' >/dev/null
dev a sync --once >/dev/null
req GET '/export/visit.csv?kecamatan=Setu' -b "$WORK/vika.jar"
expect_status 200
"$HUB" export --csv visit --kecamatan Setu >"$WORK/cli.csv"
cmp -s "$BODY" "$WORK/cli.csv" || fail "the formula guard differs between the route and export --csv"
grep -q "^v9,b2,2024-06-01,skills-cooking,'@SUM(1+1),\"'=HYPERLINK(\"\"http://x\"\",\"\"klik\"\")\"," "$BODY" ||
  fail "= or @ not guarded: $(grep '^v9' "$BODY")"
grep -q "^v10,b2,2024-06-02,skills-cooking,\"'"$'\r'"+2\",'"$'\t'"=1+1," "$BODY" ||
  fail "a tab or carriage return first not guarded: $(grep -a '^v10' "$BODY" | od -c | head)"
grep -q "^v11,b2,2024-06-03,skills-cooking,a = b,'-3," "$BODY" || fail "- not guarded: $(grep '^v11' "$BODY")"
# The audit line counts records, not lines: quotes and a line break
# inside a cell are not a row.
dev a put visit v12 '{"beneficiary":"b2","date":"2024-06-04","programme":"skills-cooking","notes":"two\r\nlines, \"quoted\""}' >/dev/null
dev a sync --once >/dev/null
req GET '/export/visit.csv?kecamatan=Setu' -b "$WORK/vika.jar"
rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))) - 1)' "$BODY")
[ "$rows" = 4 ] || fail "Setu's visits: $rows rows, want 4"
grep -q "office: audit: vika (viewer) exported visit as CSV (4 rows)" "$WORK/hub.log" ||
  fail "the audit line miscounts: $(grep 'exported visit' "$WORK/hub.log")"

CASE="devices: last seen, enrol, revoke"
req GET /api/devices -b "$WORK/vika.jar"
grep -q '"name":"a","replica":"[^"]*","revoked":false,"created_ms":[0-9]*,"scope":"all","last_seen_ms":[0-9]' "$BODY" ||
  fail "device a has no last seen"
grep -q '"name":"a",[^}]*"last_push_ms":[0-9][0-9]*,"last_pull_ms":[0-9][0-9]*,"app":"sambang/[0-9]*\.[0-9]*\.[0-9]*"' "$BODY" ||
  fail "device a has no last push, last pull or app version"
acsrf=$(csrf_of ana)
req POST /api/devices -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"name":"c"}'
expect_status 400 # a scope is required
req POST /api/devices -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"name":"c","scope":"Atlantis"}'
expect_status 400
req POST /api/devices -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"name":"c","scope":"all"}'
expect_status 200
tok=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' "$BODY")
[ ${#tok} -eq 64 ] || fail "no token for the new device"
req POST /api/devices -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"name":"sc","scope":"Setu,Pamulang"}'
expect_status 200
req GET /api/devices -b "$WORK/ana.jar"
grep -q '"name":"c",[^}]*"last_seen_ms":null,"last_push_ms":null,"last_pull_ms":null,"app":null' "$BODY" ||
  fail "a device that never came has activity"
grep -q '"name":"sc",[^}]*"scope":"Pamulang,Setu"' "$BODY" || fail "the devices list lacks sc's scope: $(cat "$BODY")"
dev c init --server "$URL" --token "$tok" >/dev/null
dev c sync --once >/dev/null || fail "the enrolled device cannot sync"

CASE="devices: a new scope and a new token from the page"
rcsrf=$(csrf_of rina)
req POST /api/devices/sc/scope -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf" --data '{"scope":"Setu"}'
expect_error 403 forbidden
req POST /api/devices/sc/scope -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"scope":"Atlantis"}'
expect_status 400
grep -q 'Atlantis' "$BODY" || fail "the bad scope is not named: $(cat "$BODY")"
req POST /api/devices/sc/scope -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"parts":"Setu"}'
expect_status 400
req POST /api/devices/nobody/scope -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"scope":"Setu"}'
expect_status 404
"$HUB" device list | grep -q $'^sc\t.*\tPamulang,Setu$' || fail "a refused scope changed the device"
req POST /api/devices/sc/scope -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"scope":"Setu"}'
expect_status 200
"$HUB" device list | grep -q $'^sc\t.*\tSetu$' || fail "the new scope is not the device's: $("$HUB" device list)"
req POST /api/devices/c/rotate -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf"
expect_error 403 forbidden
req POST /api/devices/c/rotate -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
expect_status 200
tok2=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' "$BODY")
[ ${#tok2} -eq 64 ] && [ "$tok2" != "$tok" ] || fail "no new token: $(cat "$BODY")"
set +e; dev c sync --once >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "the old token still works after a rotate"
printf '%s\n' "$tok2" | dev c token set - >/dev/null || fail "token set"
dev c sync --once >/dev/null || fail "the new token does not work"
req GET /api/devices/c/rotate -b "$WORK/ana.jar"
expect_status 404
req POST /api/devices/c/explode -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
expect_status 404

req POST /api/devices/c/revoke -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
expect_status 200
[ "$(cat "$BODY")" = '{"name":"c"}' ] || fail "revoke's reply: $(cat "$BODY")"
req POST /api/devices/nobody/revoke -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
expect_error 404 not_found
set +e; dev c sync --once >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "a revoked device still syncs"

CASE="devices: records pending and refused, as each device says"
# A real device says what it holds that is not at the hub: sc (Setu and
# Pamulang) edits b2 (Setu) offline while a moves b2 to Serpong; the hub
# refuses sc's edit (out_of_scope), kept on sc: refused 1, pending 0.
sctok=$("$HUB" device add sc2 --scope Setu,Pamulang)
dev sc2 init --server "$URL" --token "$sctok" >/dev/null
dev sc2 sync --once >/dev/null || fail "sc2's first sync"
# The store keeps what a device said (written at most once a minute per
# device: here what its first request said).
if [ "${SAMBANG_TEST_PG:-0}" = 1 ]; then
  pg_sql hub "select marks_ms > 0, pending, refused from devices where name = 'sc2'"
else
  sqlite3 "$SAMBANG_HUB_DB" "select value from meta where key = 'device.seen.sc2'"
fi >"$OUT"
grep -q '^t|0|0$\|@[1-9][0-9]*,0,0 !0 sambang/' "$OUT" || fail "the store lacks sc2's marks: $(cat "$OUT")"
dev sc2 put beneficiary b2 '{"kelurahan":"Muncul"}' >/dev/null
dev a put beneficiary b2 '{"kecamatan":"Serpong"}' >/dev/null
dev a sync --once >/dev/null
set +e; dev sc2 sync --once >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 7 ] || fail "sc2's out-of-scope edit: sync exits 7, got $rc"
req GET /api/devices -b "$WORK/vika.jar"
grep -q '"name":"sc2",[^}]*"marks_ms":[0-9][0-9]*,"pending":0,"refused":1' "$BODY" ||
  fail "the devices list lacks sc2's refusal: $(cat "$BODY")"
grep -q '"name":"a",[^}]*"pending":0,"refused":0' "$BODY" || fail "device a said nothing"
# The header as the protocol spells it; a malformed one is refused (400,
# naming it) and changes nothing.
sc2rep=$(replica_of sc2)
pull "$sctok" "$sc2rep" 'since=0&limit=1' -H 'Sambang-Marks: pending=12 refused=3'
expect_status 200
for bad in 'pending=1' 'pending=01 refused=0' 'pending=1 refused=x' 'refused=1 pending=1' \
  'pending=1 refused=9007199254740993' 'pending=1  refused=1' 'pending=-1 refused=0'; do
  pull "$sctok" "$sc2rep" 'since=0&limit=1' -H "Sambang-Marks: $bad"
  expect_status 400
  grep -q '"code":"malformed"' "$BODY" && grep -q 'Sambang-Marks' "$BODY" ||
    fail "a malformed Sambang-Marks ($bad): $(cat "$BODY")"
done
req GET /api/devices -b "$WORK/vika.jar"
grep -q '"name":"sc2",[^}]*"pending":12,"refused":3' "$BODY" ||
  fail "the devices list does not show what sc2 said last: $(cat "$BODY")"
# Moved back in scope, the edit goes through; sc2 then says 0 and 0.
dev a put beneficiary b2 '{"kecamatan":"Setu"}' >/dev/null
dev a sync --once >/dev/null
dev sc2 sync --once >/dev/null || fail "sc2's edit did not go through once b2 was back"
req GET /api/devices -b "$WORK/vika.jar"
grep -q '"name":"sc2",[^}]*"pending":0,"refused":0' "$BODY" ||
  fail "sc2's refusal still shows: $(cat "$BODY")"

CASE="the table from the facts, the CSV's cached result"
# The records table is chosen and sorted from the kept facts whatever the
# query (a text search, a sort by any field); the CSV walks the store
# with the same filters: the two agree. The CSV's result is kept, per
# role and filter.
total_of() { sed -n 's/.*"total":\([0-9]*\),.*/\1/p' "$BODY"; }
by=sort=kelurahan
req GET "/api/records/beneficiary?$by" -b "$WORK/vika.jar"
n=$(total_of)
grep -q 'Ibu Sari' "$BODY" && fail "a viewer got a personal value"
req GET "/api/records/beneficiary?$by" -b "$WORK/rina.jar"
grep -q '"name":"Ibu Sari"' "$BODY" || fail "a reviewer did not get the name"
req GET "/api/records/beneficiary?kecamatan=Setu&$by" -b "$WORK/rina.jar"
[ "$(total_of)" = 1 ] || fail "the Setu filter: $(total_of) rows"
for who in vika rina; do
  for q in "" "kecamatan=Setu" "group=anak" "conflict=1" "desc=1&limit=2" \
    "page=2&limit=1" "sort=kecamatan" "sort=groups&desc=1" \
    "sort=kecamatan&page=2&limit=1" "$by" "$by&desc=1" \
    "q=b" "q=SETU" "q=cilenggang&sort=kelurahan" "q=Ibu" "q=nothing-holds-it"; do
    table_as_csv beneficiary "$q" "$WORK/$who.jar"
  done
done
# By a personal field: an admin's table, against the CSV with them; a
# viewer's table is in id order (the CSV without them).
table_as_csv beneficiary "sort=name&personal=1" "$WORK/ana.jar"
table_as_csv beneficiary "sort=name&desc=1&personal=1" "$WORK/ana.jar"
table_as_csv beneficiary "sort=name" "$WORK/vika.jar"
# The order an office reads a list in: letters without their case, a
# number in a name by its value.
put_named() { dev a put beneficiary "$1" "{\"name\":\"$2\",\"groups\":[\"anak\"],\"kecamatan\":\"Ciputat\",\"consent\":true,\"kelurahan\":\"Cipayung\"}" >/dev/null; }
put_named n1 "warga 10"
put_named n2 "Warga 9"
put_named n3 "ani"
put_named n4 "Budi"
put_named n5 "Warga 009a"
dev a sync --once >/dev/null || fail "a's sync of the named records"
req GET "/api/records/beneficiary?kecamatan=Ciputat&sort=name&limit=10" -b "$WORK/ana.jar"
ids=$(grep -o '"id":"n[0-9]"' "$BODY" | cut -d'"' -f4 | tr '\n' ' ')
[ "$ids" = "n3 n4 n2 n5 n1 " ] || fail "sorted by name: $ids (want ani, Budi, Warga 9, Warga 009a, warga 10)"
table_as_csv beneficiary "kecamatan=Ciputat&sort=name&personal=1" "$WORK/ana.jar"
table_as_csv beneficiary "sort=name&desc=1&personal=1" "$WORK/ana.jar"
req GET "/api/records/beneficiary?$by" -b "$WORK/rina.jar"
n=$(total_of)
# A text search finds non-personal values only, for every role.
req GET "/api/records/beneficiary?q=Ibu%20Sari" -b "$WORK/ana.jar"
[ "$(total_of)" = 0 ] || fail "a text search found a personal value"
# Two users on two filters, taking turns: each finds its own CSV kept.
hits() { curl -sS "$URL/metrics" | sed -n 's/^sambang_hub_office_cache_hits_total //p'; }
h0=$(hits)
for turn in 1 2; do
  req GET "/export/beneficiary.csv?kecamatan=Setu" -b "$WORK/rina.jar"
  [ "$(wc -l <"$BODY")" = 2 ] || fail "turn $turn: Setu's rows"
  req GET "/export/beneficiary.csv" -b "$WORK/vika.jar"
  [ "$(wc -l <"$BODY")" = $((n + 1)) ] || fail "turn $turn: every row"
done
[ "$(hits)" -ge $((h0 + 2)) ] || fail "alternating filters evict each other ($h0 then $(hits) hits)"
req GET /api/records/beneficiary -b "$WORK/vika.jar"
[ "$(total_of)" = "$n" ] || fail "in id order: $(total_of) rows, sorted $n"
req GET /api/overview -b "$WORK/vika.jar"
grep -q "\"records\":{\"beneficiary\":$n," "$BODY" || fail "overview before: $(head -c 300 "$BODY")"
req GET /export/beneficiary.csv -b "$WORK/vika.jar"
rows=$(wc -l <"$BODY")
dev a put beneficiary b9 '{"name":"Ibu Baru","groups":["anak"],"kecamatan":"Setu","consent":true}' >/dev/null
dev a sync --once >/dev/null
req GET /api/records/beneficiary -b "$WORK/vika.jar"
[ "$(total_of)" = $((n + 1)) ] || fail "a push did not reach the cached records ($n then $(total_of))"
req GET /api/overview -b "$WORK/vika.jar"
grep -q "\"records\":{\"beneficiary\":$((n + 1))," "$BODY" || fail "a push did not reach the cached overview"
req GET /export/beneficiary.csv -b "$WORK/vika.jar"
[ "$(wc -l <"$BODY")" = $((rows + 1)) ] || fail "a push did not reach the cached CSV"
req GET /api/conflicts -b "$WORK/vika.jar"
grep -q '"id":"b1"' "$BODY" && fail "the resolved b1 is still in the conflicts queue"

CASE="users managed from the page: admins only, CSRF, the CLI's rules"
acsrf=$(csrf_of ana)
rcsrf=$(csrf_of rina)
vcsrf=$(csrf_of vika)
req GET /api/users -b "$WORK/vika.jar"
expect_error 403 forbidden
req GET /api/users -b "$WORK/rina.jar"
expect_error 403 forbidden
req POST /api/users -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf" \
  --data '{"name":"eve","role":"admin","password":"evil-pass-1"}'
expect_error 403 forbidden
req POST /api/users/ana -b "$WORK/vika.jar" -H "X-CSRF-Token: $vcsrf" --data '{"password":"taken-over"}'
expect_error 403 forbidden
req POST /api/users/lola/remove -b "$WORK/rina.jar" -H "X-CSRF-Token: $rcsrf"
expect_error 403 forbidden
req POST /api/users -b "$WORK/ana.jar" \
  --data '{"name":"budi","role":"viewer","password":"budi-pass-1"}'
expect_error 403 csrf
req GET /api/users
expect_status 401
expect_hub_ok user list
[ "$(cut -f1 "$OUT" | tr '\n' ,)" = "ana,lola,rina,vika," ] || fail "a refused request changed the users: $(cat "$OUT")"
req GET /api/users -b "$WORK/ana.jar"
expect_status 200
grep -q '"users":\[{"name":"ana","role":"admin","created_ms":[0-9]*,"changed_ms":[0-9]*}' "$BODY" || fail "user list"
grep -q 'argon2\|pass' "$BODY" && fail "the user list shows a hash or password"
for bad in '{"name":"budi","role":"boss","password":"budi-pass-1"}' \
  '{"name":"budi","role":"viewer","password":"short"}' \
  '{"name":"bu di","role":"viewer","password":"budi-pass-1"}' \
  '{"name":"ana","role":"viewer","password":"budi-pass-1"}' \
  '{"name":"budi","role":"viewer"}' 'not json' \
  '{"name":"budi","role":"viewer","password":"budi-pass-1\nsecond-line"}'; do
  req POST /api/users -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data "$bad"
  expect_error 400 bad_request
done
# Messages in the language the dashboard asks for (Accept-Language), the
# code unchanged; the hub's own language (and the devices') stays English.
short='{"name":"budi","role":"viewer","password":"short"}'
req POST /api/users -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" -H 'Accept-Language: id-ID,id;q=0.9' --data "$short"
expect_error 400 bad_request
grep -qF '"message":"kata sandi harus 8 sampai' "$BODY" || fail "no Indonesian message: $(cat "$BODY")"
req POST /api/users -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" -H 'Accept-Language: en' --data "$short"
grep -qF '"message":"the password must have 8 to' "$BODY" || fail "no English message: $(cat "$BODY")"
req GET /api/record/beneficiary/nobody -b "$WORK/ana.jar" -H 'Accept-Language: id'
expect_error 404 not_found
grep -qF '"message":"tidak ada data beneficiary/nobody"' "$BODY" || fail "no Indonesian 404: $(cat "$BODY")"
req GET /api/session -H 'Accept-Language: id'
expect_error 401 unauthorized
grep -qF 'masuk terlebih dahulu' "$BODY" || fail "no Indonesian 401: $(cat "$BODY")"
req GET /api/session -H 'Accept-Language: fr, id'
grep -qF 'log in first' "$BODY" || fail "only the first language counts: $(cat "$BODY")"
req POST /api/users -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" \
  --data '{"name":"budi","role":"viewer","password":"budi-pass-1"}'
expect_status 200
grep -q '"name":"budi","role":"viewer"' "$BODY" || fail "the new user's row"
login budi budi-pass-1
expect_status 303
req GET /api/session -b "$WORK/budi.jar"
grep -q '"role":"viewer"' "$BODY" || fail "budi is not a viewer"
# The schema's labels per language for the page (values stay the keys).
grep -qF '"skills-cooking":"Pelatihan keterampilan: memasak"' "$BODY" || fail "no Indonesian programme labels in /api/session"
grep -qF '"en":{"perempuan":"Women","anak":"Children"' "$BODY" || fail "no English group labels in /api/session"
req POST /api/users/budi -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"role":"reviewer"}'
expect_status 200
req GET /api/session -b "$WORK/budi.jar"
expect_status 401 # a new role ends older sessions
req POST /api/users/budi -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"password":"short"}'
expect_error 400 bad_request
req POST /api/users/budi -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"password":"budi-pass-2"}'
expect_status 200
login budi budi-pass-1
expect_error 401 bad_login
login budi budi-pass-2
expect_status 303
req GET /api/session -b "$WORK/budi.jar"
grep -q '"role":"reviewer"' "$BODY" || fail "budi is not a reviewer"
req POST /api/users/nobody -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"password":"whatever-1"}'
expect_error 404 not_found
req POST /api/users/ana -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data '{"role":"viewer"}'
expect_error 400 bad_request
req POST /api/users/ana/remove -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
expect_error 400 bad_request
req POST /api/users/budi/remove -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
expect_status 200
[ "$(cat "$BODY")" = '{"name":"budi"}' ] || fail "remove answered $(cat "$BODY")"
req GET /api/session -b "$WORK/budi.jar"
expect_status 401 # a removed user's session ends
req POST /api/users/budi/remove -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
expect_error 404 not_found
expect_hub_ok user list
[ "$(cut -f1,2 "$OUT" | tr '\t\n' ':,')" = "ana:admin,lola:viewer,rina:reviewer,vika:viewer," ] ||
  fail "users after the page's changes: $(cat "$OUT")"

CASE="the cookie is Secure only behind a trusted proxy saying https"
stop_hub
start_hub --trusted-proxy 127.0.0.1
req POST /login -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-For: 10.9.8.7' \
  --data-urlencode user=ana --data-urlencode password=admin-pass-1
expect_status 303
grep -i '^Set-Cookie: sambang_session=' "$HEADERS" | grep -qi '; Secure' ||
  fail "no Secure behind a trusted proxy over https: $(grep -i set-cookie "$HEADERS")"
req POST /login -H 'X-Forwarded-Proto: http' \
  --data-urlencode user=ana --data-urlencode password=admin-pass-1
grep -i '^Set-Cookie: sambang_session=' "$HEADERS" | grep -qi 'Secure' &&
  fail "Secure though the proxy says http"
stop_hub
start_hub
req POST /login -H 'X-Forwarded-Proto: https' \
  --data-urlencode user=ana --data-urlencode password=admin-pass-1
expect_status 303
grep -i '^Set-Cookie: sambang_session=' "$HEADERS" | grep -qi 'Secure' &&
  fail "an untrusted peer's X-Forwarded-Proto was believed"

CASE="logout ends the session; a new password ends older sessions"
req POST /logout -b "$WORK/vika.jar" -H "X-CSRF-Token: $vcsrf"
expect_status 200
req GET /api/session -b "$WORK/vika.jar"
expect_status 401
printf 'review-pass-2\n' | "$HUB" user passwd rina
req GET /api/session -b "$WORK/rina.jar"
expect_status 401

CASE="resolve refuses: a deleted record, a name without consent, a seq that is not a whole number"
dev a put beneficiary b3 '{"groups":["anak"],"kecamatan":"Setu","consent":false}' >/dev/null
dev a put beneficiary b4 '{"groups":["anak"],"kecamatan":"Setu","consent":true}' >/dev/null
dev a rm beneficiary b4 >/dev/null
dev a sync --once --server "$URL" >/dev/null || fail "device a could not sync"
login ana admin-pass-1
acsrf=$(csrf_of ana)
resolve_as_ana() {
  req POST /api/resolve -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data "$1"
}
seq_of() {
  req GET "/api/record/beneficiary/$1" -b "$WORK/ana.jar"
  sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$BODY" | head -1
}
s4=$(seq_of b4)
resolve_as_ana "{\"collection\":\"beneficiary\",\"id\":\"b4\",\"seq\":$s4,\"fields\":{\"kelurahan\":\"Muncul\"}}"
expect_error 404 not_found
[ "$(seq_of b4)" = "$s4" ] || fail "a refused resolve wrote b4"
s3=$(seq_of b3)
resolve_as_ana "{\"collection\":\"beneficiary\",\"id\":\"b3\",\"seq\":$s3,\"fields\":{\"name\":\"Siti\"}}"
expect_error 400 bad_request
grep -q 'consent' "$BODY" || fail "the refusal does not name consent: $(cat "$BODY")"
[ "$(seq_of b3)" = "$s3" ] || fail "a refused resolve wrote b3"
for bad in "$s3.5" 1e300 -1 '"1"'; do
  resolve_as_ana "{\"collection\":\"beneficiary\",\"id\":\"b3\",\"seq\":$bad,\"fields\":{\"kelurahan\":\"Muncul\"}}"
  expect_error 400 bad_request
done
[ "$(seq_of b3)" = "$s3" ] || fail "a bad seq wrote b3"
resolve_as_ana "{\"collection\":\"beneficiary\",\"id\":\"b3\",\"seq\":$s3,\"fields\":{\"consent\":true,\"name\":\"Siti\"}}"
expect_status 200

CASE="request bodies: what cJSON would change or guess at is a 400 that changes nothing"
# cJSON alone cuts a string at \u0000 (a password "pass\u0000word123"
# kept as "pass"), rounds past 2^53 and takes the first of two equal keys.
s3=$(seq_of b3)
for body in '"fields":{"kelurahan":"Mun\u0000cul"}:NUL' \
  '"fields":{"kelurahan":"Muncul","kelurahan":"Setu"}:duplicate key' \
  '"fields":{"kelurahan":"Muncul"},"id":"b4":duplicate key' \
  '"fields":{"kelurahan":"Muncul"},"x":1e999:too large' \
  '"fields":{"kelurahan":"Muncul"},"x":9007199254740993:2^53' \
  '"fields":{"kelurahan":"Muncul"}} {:not valid JSON'; do
  resolve_as_ana "{\"collection\":\"beneficiary\",\"id\":\"b3\",\"seq\":$s3,${body%:*}}"
  expect_error 400 bad_request
  grep -q "the request body .*${body##*:}" "$BODY" || fail "${body%:*}: $(cat "$BODY")"
done
[ "$(seq_of b3)" = "$s3" ] || fail "a refused body wrote b3"
req POST /api/users -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" \
  --data '{"name":"nul","role":"viewer","password":"pass\u0000word123"}'
expect_error 400 bad_request
req POST /api/users/vika -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" \
  --data '{"role":"admin","role":"viewer"}'
expect_error 400 bad_request
req POST /api/devices -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" \
  --data '{"name":"d\u0000x","scope":"all"}'
expect_error 400 bad_request
req POST /api/devices/a/scope -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" \
  --data '{"scope":"Setu","scope":"all"}'
expect_error 400 bad_request
# A key the route does not take is named and refused, not ignored (a
# misspelt "role " would change nothing and answer 200); so is a body
# that is not an object.
for route in "/api/users/vika:{\"role \":\"admin\"}:role " \
  "/api/users:{\"name\":\"nul\",\"role\":\"viewer\",\"password\":\"pass-word-123\",\"admin\":true}:admin" \
  "/api/devices:{\"name\":\"dx\",\"scope\":\"all\",\"token\":\"00\"}:token" \
  "/api/devices/a/scope:{\"scope\":\"Setu\",\"parts\":\"Setu\"}:parts" \
  "/api/resolve:{\"collection\":\"beneficiary\",\"id\":\"b3\",\"seq\":$s3,\"fields\":{\"kelurahan\":\"Muncul\"},\"force\":true}:force"; do
  path=${route%%:*} rest=${route#*:}
  req POST "$path" -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data "${rest%:*}"
  expect_error 400 bad_request
  grep -qF "unknown key \\\"${rest##*:}\\\"" "$BODY" || fail "$path: the unknown key is not named: $(cat "$BODY")"
done
for body in '[]' '"scope"' 'null'; do
  req POST /api/devices/a/scope -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf" --data "$body"
  expect_error 400 bad_request
  grep -qF 'must be a JSON object' "$BODY" || fail "$body: $(cat "$BODY")"
done
[ "$(seq_of b3)" = "$s3" ] || fail "a body with an unknown key wrote b3"
expect_hub_ok user list
grep -q '^nul' "$OUT" && fail "a user was added from a refused body"
grep -q $'^vika\tviewer' "$OUT" || fail "a refused body changed vika: $(cat "$OUT")"
expect_hub_ok device list
grep -q '^d' "$OUT" && fail "a device was enrolled from a refused body: $(cat "$OUT")"
grep -q $'^a\t.*\tall$' "$OUT" || fail "a refused body changed a's scope: $(cat "$OUT")"
# A viewer is refused for the role before the body is read.
login vika viewer-pass-1
req POST /api/resolve -b "$WORK/vika.jar" -H "X-CSRF-Token: $(csrf_of vika)" --data '{"x":1,"x":2}'
expect_error 403 forbidden

CASE="query parameters out of range or malformed: 400 naming the parameter"
for q in 'records/beneficiary?page=-1:page' 'records/beneficiary?page=0:page' \
  'records/beneficiary?limit=abc:limit' 'records/beneficiary?limit=501:limit' \
  'records/beneficiary?limit=-1:limit' 'records/visit?from=abc:from' \
  'records/visit?to=2024-13-01:to' 'records/visit?from=2024-02-30:from' \
  'records/beneficiary?desc=2:desc' 'records/beneficiary?conflict=yes:conflict' \
  'records/beneficiary?sort=bogus:bogus' 'overview?stale_days=0:stale_days' \
  'overview?stale_days=-1:stale_days' 'overview?stale_days=99999999999:stale_days' \
  'records/visit?kecamatan=Nowhere:kecamatan' 'records/beneficiary?group=kids:group' \
  'records/visit?programme=cooking:programme' 'overview?kecamatan=setu:kecamatan'; do
  req GET "/api/${q%:*}" -b "$WORK/ana.jar"
  expect_error 400 bad_request
  grep -q "${q##*:}" "$BODY" || fail "/api/${q%:*}: the error does not name ${q##*:}: $(cat "$BODY")"
done
req GET '/export/visit.csv?from=2024-13-01' -b "$WORK/ana.jar"
expect_error 400 bad_request
# A value no field may hold: said, with the values allowed, never an
# empty table (the dashboard's lists give only these).
req GET '/export/visit.csv?kecamatan=Nowhere' -b "$WORK/ana.jar"
expect_error 400 bad_request
grep -q 'kecamatan: \\"Nowhere\\" is not a value of the schema (one of: .*Pondok Aren' "$BODY" ||
  fail "an unknown kecamatan: $(cat "$BODY")"
# A parameter the office does not read is refused and named, not ignored:
# a misspelt filter would list or export every record.
for q in '/api/records/visit?kecamatn=Setu:kecamatn' '/export/visit.csv?kecamatn=Setu:kecamatn' \
  '/api/overview?stale=3:stale' '/api/records/beneficiary?page=1&Group=anak:Group' \
  '/api/conflicts?x=:x' '/api/session?lang=en:lang'; do
  req GET "${q%:*}" -b "$WORK/ana.jar"
  expect_error 400 bad_request
  grep -qF "unknown query parameter \\\"${q##*:}\\\" (the office reads kecamatan, group," "$BODY" ||
    fail "${q%:*}: the error does not name ${q##*:}: $(cat "$BODY")"
  grep -qF 'stale_days)' "$BODY" || fail "${q%:*}: the list of parameters is cut: $(cat "$BODY")"
done
req GET '/api/records/visit?kecamatn=Setu'
expect_error 401 unauthorized # a session first, as for every API route
for q in 'records/beneficiary?page=2&limit=500&desc=1&sort=kecamatan' \
  'records/beneficiary?sort=id&desc=0' 'records/visit?from=2024-02-29&to=2024-12-31' \
  'overview?stale_days=3650'; do
  req GET "/api/$q" -b "$WORK/ana.jar"
  expect_status 200
done

CASE="one password check at a time: a burst of logins neither fills memory nor the pool"
# Argon2id takes 64 MiB and a tenth of a second each; eight at once took
# the hub to 275 MB. Now one runs, the others are told to retry (503,
# Retry-After: 1; the login page does so by itself), and nothing counts
# as a failed login.
burst=()
for i in $(seq 1 8); do
  curl -sS -o /dev/null -D "$WORK/burst.$i" -w '%{http_code}\n' --max-time 30 \
    --data-urlencode user=ana --data-urlencode password=admin-pass-1 \
    "$URL/login" >>"$WORK/burst" &
  burst+=($!)
done
wait "${burst[@]}" || fail "a login of the burst got no answer"
grep -vqxE '303|503' "$WORK/burst" && fail "a burst of logins: $(sort "$WORK/burst" | uniq -c)"
for f in "$WORK"/burst.*; do
  grep -q '^HTTP/1.1 503' "$f" && ! grep -qi '^Retry-After: 1' "$f" && fail "a 503 without Retry-After: $(cat "$f")"
done
[ "$(metric 'sambang_hub_office_logins_total{result="busy"}')" = "$(grep -c '^503$' "$WORK/burst")" ] ||
  fail "busy logins miscounted: $(curl -sS "$URL/metrics" | grep office_logins)"
hwm=$(peak_kb)
[ "$hwm" -lt $((128 * 1024)) ] || fail "peak RSS $hwm kB after a burst of logins"
login ana admin-pass-1
expect_status 303
acsrf=$(csrf_of ana)

CASE="the audit trail: who changed what, in the log, never a value"
grep -q 'office: audit: rina (reviewer) logged in from 127.0.0.1' "$WORK/hub.log" || fail "no login line"
grep -q 'office: audit: rina (reviewer) wrote beneficiary/b1 (kelurahan) at seq [0-9]' "$WORK/hub.log" ||
  fail "no line for the resolution: $(grep 'audit' "$WORK/hub.log" | head)"
for line in 'ana (admin) enrolled device c, scope all' "ana (admin) set device sc's scope to Setu" \
  'ana (admin) issued a new token for device c' 'ana (admin) revoked device c' \
  'ana (admin) added user budi (viewer)' 'ana (admin) changed user budi (reviewer)' \
  'ana (admin) removed user budi'; do
  grep -qF "office: audit: $line" "$WORK/hub.log" || fail "no audit line: $line"
done
# Refused changes leave no line; values never appear in one.
grep 'office: audit:' "$WORK/hub.log" | grep -q 'Atlantis\|nobody\|Cilenggang\|Rawa Mekar' &&
  fail "an audit line for a refused change, or with a value: $(grep 'office: audit:' "$WORK/hub.log")"
req POST /logout -b "$WORK/ana.jar" -H "X-CSRF-Token: $acsrf"
grep -q 'office: audit: ana (admin) logged out' "$WORK/hub.log" || fail "no logout line"

stop_hub
echo "ok"
