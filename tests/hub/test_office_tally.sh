#!/usr/bin/env bash
# test_office_tally.sh - the kept facts of the overview, the conflict queue
# and the records table in id order (daemon/hub/office_tally.c)
# follow the feed: after each change the running hub's /api/overview reads
# only the records that changed (sambang_hub_office_tally_records_read_total)
# and equals what a restarted hub computes from the whole store; a record
# moved to another kecamatan takes its unchanged visits with it; a purge
# (which takes tombstones out of the feed) makes it read everything again.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin
start_hub
for d in a b; do
  dev "$d" init --server "$URL" --token "$("$HUB" device add "$d" --scope all)" >/dev/null
done

login() {
  req POST /login -c "$WORK/jar" --data 'user=ana&password=admin-pass-1'
  expect_status 303
}
overview() { # overview FILE: the running hub's overview, its record part
  req GET /api/overview -b "$WORK/jar"
  expect_status 200
  sed 's/,"stale_devices":.*//' "$BODY" >"$1"
}
metric() { curl -sS "$URL/metrics" | sed -n "s/^sambang_hub_office_tally_$1_total //p"; }
# same_as_restarted FILE: a hub started afresh on the store agrees.
same_as_restarted() {
  stop_hub
  start_hub
  login
  overview "$WORK/fresh.json"
  cmp -s "$1" "$WORK/fresh.json" ||
    fail "kept facts and a fresh walk differ: $(cat "$1") against $(cat "$WORK/fresh.json")"
}
has() { grep -q "$1" "$WORK/o.json" || fail "overview lacks $1: $(cat "$WORK/o.json")"; }
sync_all() {
  dev a sync --once --server "$URL" >"$OUT" 2>"$ERR" || fail "sync a"
  dev b sync --once --server "$URL" >"$OUT" 2>"$ERR" || fail "sync b"
}
put() { dev a put "$@" >/dev/null || fail "put $*"; }

put beneficiary b1 '{"name":"Ibu Sari","groups":["perempuan"],"kecamatan":"Serpong","consent":true}'
put beneficiary b2 '{"name":"Adi","groups":["anak"],"kecamatan":"Setu","consent":true}'
put beneficiary b3 '{"name":"Rina","groups":["anak","disabilitas"],"kecamatan":"Pamulang","consent":true}'
put visit v1 '{"beneficiary":"b1","date":"2026-01-20","programme":"skills-cooking"}'
put visit v2 '{"beneficiary":"b2","date":"2026-01-05","programme":"child-education"}'
put visit v3 '{"beneficiary":"b3","date":"2026-02-03","programme":"child-education"}'
sync_all
login

CASE="first use reads the whole feed"
overview "$WORK/o.json"
has '"records":{"beneficiary":3,"visit":3}'
has '"visits_by_month_kecamatan":{"2026-01":{"Serpong":1,"Setu":1},"2026-02":{"Pamulang":1}}'
has '"beneficiaries_by_group":{"perempuan":1,"anak":2,"disabilitas":1}'
[ "$(metric rebuilds)" = 1 ] || fail "rebuilds: $(metric rebuilds)"
[ "$(metric records_read)" = 6 ] || fail "records read: $(metric records_read)"

CASE="a moved beneficiary takes its visit along; two records read"
put beneficiary b1 '{"kecamatan":"Setu"}'
sync_all
overview "$WORK/o.json"
has '"2026-01":{"Setu":2}'
has '"beneficiaries_by_kecamatan":{"Setu":2,"Pamulang":1}'
# b1, and v1 which the hub saved again for scoped devices (a move)
[ "$(metric records_read)" = 8 ] || fail "records read after one change: $(metric records_read)"
[ "$(metric rebuilds)" = 1 ] || fail "a change made the facts start again"
# The records table is chosen from the facts (a visit by its
# beneficiary's kecamatan); the CSV walks the store: the two agree.
for q in "kecamatan=Setu" "kecamatan=Serpong" "from=2026-01-10&to=2026-02-28" \
  "programme=child-education&desc=1" "group=perempuan" "sort=date" \
  "sort=date&desc=1&limit=2" "sort=programme&kecamatan=Setu" \
  "sort=date&page=2&limit=1" "q=v" "q=education&sort=beneficiary"; do
  table_as_csv visit "$q" "$WORK/jar"
done
req GET "/api/records/visit?kecamatan=Setu" -b "$WORK/jar"
grep -q '"total":2,.*"id":"v1".*"id":"v2"' "$BODY" || fail "Setu's visits: $(cat "$BODY")"
req GET "/api/records/visit?sort=date" -b "$WORK/jar"
grep -q '"total":3,.*"id":"v2".*"id":"v1".*"id":"v3"' "$BODY" || fail "visits by date: $(cat "$BODY")"
[ "$(metric records_read)" = 8 ] || fail "the records table read the feed again"

CASE="a delete, a conflict and new records"
dev a rm visit v3 >/dev/null || fail "rm v3"
put beneficiary b0 '{"name":"Baru","groups":["miskin"],"kecamatan":"Ciputat","consent":true}'
put visit v0 '{"beneficiary":"b0","date":"2026-02-11","programme":"skills-handicraft"}'
sync_all
dev a put beneficiary b2 '{"kelurahan":"Babakan"}' >/dev/null
dev b put beneficiary b2 '{"kelurahan":"Muncul"}' >/dev/null
sync_all
dev a sync --once --server "$URL" >/dev/null
overview "$WORK/o.json"
has '"records":{"beneficiary":4,"visit":3}'
has '"2026-02":{"Ciputat":1}'
has '"open_conflicts":1'
[ "$(metric records_read)" = 12 ] || fail "records read: $(metric records_read), want 12"
# The conflict queue reads the conflicted records the facts name, no more.
req GET /api/conflicts -b "$WORK/jar"
grep -q '^{"records":\[{"collection":"beneficiary","id":"b2",.*"fields":\["kelurahan"\],"siblings":{"kelurahan":\[{"value":.*"delete_conflict":false}\]}$' "$BODY" &&
  grep -q '{"value":"Babakan","device":"a",' "$BODY" &&
  grep -q '{"value":"Muncul","device":"b",' "$BODY" ||
  fail "the conflict queue: $(cat "$BODY")"
[ "$(metric records_read)" = 12 ] || fail "the conflict queue read the feed again"
cp "$WORK/o.json" "$WORK/kept.json"
same_as_restarted "$WORK/kept.json"

CASE="a purge makes the facts start again"
# The tally reads the feed up to here; then v2 is deleted and its
# tombstone purged before the next look: the feed no longer says so.
overview "$WORK/o.json"
dev a rm visit v2 >/dev/null || fail "rm v2"
sync_all
sync_all
expect_hub_ok purge --older-than 0
grep -q '^purged [1-9]' "$OUT" || fail "nothing purged: $(cat "$OUT")"
r0=$(metric rebuilds)
overview "$WORK/o.json"
has '"records":{"beneficiary":4,"visit":2}'
has '"2026-01":{"Setu":1}'
[ "$(metric rebuilds)" = $((r0 + 1)) ] || fail "the purge did not make the facts start again"
cp "$WORK/o.json" "$WORK/kept.json"
same_as_restarted "$WORK/kept.json"

CASE="a review's reason in the page's language, kept per language"
# A delete meets an edit: the visit lives on without its required fields.
sync_all
dev a rm visit v0 >/dev/null || fail "rm v0"
dev b put visit v0 '{"notes":"dikunjungi lagi"}' >/dev/null || fail "edit v0"
sync_all
sync_all
for lang in en id en id; do
  req GET /api/conflicts -b "$WORK/jar" -H "Accept-Language: $lang"
  expect_status 200
  case $lang in
  id) want='"id":"v0",[^}]*"why":"kolom wajib tidak ada: \\"beneficiary\\", \\"date\\", \\"programme\\""' ;;
  en) want='"id":"v0",[^}]*"why":"missing required fields \\"beneficiary\\", \\"date\\", \\"programme\\""' ;;
  esac
  grep -q "$want" "$BODY" || fail "the reason in $lang: $(cat "$BODY")"
done
stop_hub
echo "ok"
