#!/usr/bin/env bash
# A refusal lifts under sambangd too: a device's edit refused out_of_scope
# (the office moved the beneficiary away meanwhile) goes to the hub by
# itself once the office moves the beneficiary back, through the
# daemon's long-poll (the page that brings it back makes the refused
# edit pending again, and a cycle pushes it), with nobody running sync.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
start_hub
enrol office all
enrol setu Setu
ben office b1 Setu
sync_once office
sync_once setu

dev setu put beneficiary b1 '{"name":"Ibu b1 edit"}' >/dev/null
dev office put beneficiary b1 '{"kecamatan":"Serpong"}' >/dev/null
sync_once office
rc=0
dev setu sync --once >"$OUT" 2>"$ERR" || rc=$?
[ "$rc" = 7 ] || fail "the edit of b1 (moved away): sync exits 7, got $rc: $(cat "$ERR")"
dev setu status | grep -q 'rejected by the hub: 1' || fail "setu shows no refusal"

start_daemon setu
listening() { dev setu status | grep -q '^daemon: listening, online'; }
wait_until 20 listening
dev setu status | grep -q 'rejected by the hub: 1' || fail "the refusal lifted while b1 was away"

dev office put beneficiary b1 '{"kecamatan":"Setu"}' >/dev/null
sync_once office
hub_has_edit() { "$HUB" export | grep -qF 'Ibu b1 edit'; }
wait_until 20 hub_has_edit
lifted() { ! dev setu status | grep -q 'rejected by the hub: [1-9]'; }
wait_until 20 lifted
sync_once office
wait_until 20 converged setu office
stop_daemon setu
echo "ok"
