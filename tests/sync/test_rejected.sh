#!/usr/bin/env bash
# A record the hub refuses (its schema says no) stays on the device, marked
# rejected with the hub's reason, shown by `sambang status` and `sambang
# conflicts`, is not sent again until it is edited, and never blocks the
# rest of the sync.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
# d1's own schema knows no collections (everything free-form), so it can
# write a beneficiary the hub's schema refuses (no consent).
token=$("$HUB" device add d1)
echo '{"version":1,"collections":{}}' >"$WORK/lax.json"
dev d1 init --schema "$WORK/lax.json" --server "$URL" --token "$token" \
  >/dev/null || fail "init failed"
dev d1 put notes ok1 '{"text":"fine"}' >/dev/null
dev d1 put beneficiary bad1 '{"name":"No Consent"}' >/dev/null ||
  fail "cannot write the record the hub will refuse"
dev d1 put notes ok2 '{"text":"also fine"}' >/dev/null

sync_once d1
grep -q 'rejected 1' "$OUT" || fail "sync does not report the rejection"
"$HUB" export >"$WORK/hub.export"
grep -q '"ok1"' "$WORK/hub.export" && grep -q '"ok2"' "$WORK/hub.export" ||
  fail "the good records did not reach the hub"
grep -q '"bad1"' "$WORK/hub.export" && fail "the refused record reached the hub"
dev d1 status >"$OUT"
grep -q 'rejected by the hub: 1' "$OUT" || fail "status does not show it"
dev d1 conflicts >"$OUT"
grep -q 'bad1' "$OUT" || fail "conflicts does not list the rejected record"
grep -q 'schema' "$OUT" || fail "conflicts does not give the hub's reason"

# Not sent again unchanged.
sync_once d1
grep -q 'pushed 0' "$OUT" || fail "an unchanged rejected record was resent"

# Edited: sent again (and accepted now).
dev d1 put beneficiary bad1 \
  '{"consent":true,"groups":["perempuan"],"kecamatan":"Setu"}' >/dev/null
sync_once d1
"$HUB" export | grep -q '"bad1"' || fail "the edited record was not accepted"
dev d1 status >"$OUT"
grep -q 'rejected' "$OUT" && fail "the accepted record is still rejected"
stop_hub
echo ok
