#!/usr/bin/env bash
# Scoped reads on PostgreSQL (issues 12 and 13): each record's scope part
# and newest move are stored (records.part, records.moved) as its push
# commits, so a scoped page reads the entries of the device's parts, of no
# known part and moved since its cursor through their indexes, not the
# whole feed. A database written before the columns (every part NULL, no
# "indexed" mark) is indexed once when a hub opens it; scoped devices get
# the same records either way.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../sync/lib.sh"

ben() { # ben KECAMATAN NAME
  printf '{"consent":true,"groups":["miskin"],"kecamatan":"%s","name":"%s"}' "$1" "$2"
}
visit() { # visit BENEFICIARY
  printf '{"beneficiary":"%s","date":"2024-05-01","programme":"skills-cooking"}' "$1"
}
part_of() { # part_of COLLECTION ID: the stored part ("<null>" for NULL)
  pg_sql hub "SELECT coalesce(part, '<null>') FROM records WHERE collection = '$1' AND id = '$2'"
}

expect_hub_ok init
start_hub
enrol d1
enrol d2 Setu
dev d1 put beneficiary b1 "$(ben Setu Ani)" >/dev/null
dev d1 put beneficiary b2 "$(ben Pamulang Budi)" >/dev/null
dev d1 put visit v1 "$(visit b1)" >/dev/null
dev d1 put visit v2 "$(visit b2)" >/dev/null
dev d1 put notes n1 '{"text":"no scope field"}' >/dev/null
sync_once d1

CASE="parts stored with the push"
[ "$(part_of beneficiary b1)" = Setu ] || fail "b1: $(part_of beneficiary b1)"
[ "$(part_of beneficiary b2)" = Pamulang ] || fail "b2: $(part_of beneficiary b2)"
[ "$(part_of visit v1)" = Setu ] || fail "v1 follows b1: $(part_of visit v1)"
[ "$(part_of visit v2)" = Pamulang ] || fail "v2 follows b2: $(part_of visit v2)"
sync_once d2
dev d2 get beneficiary b1 >/dev/null || fail "d2 lacks b1"
dev d2 get visit v1 >/dev/null || fail "d2 lacks v1"
dev d2 get beneficiary b2 >/dev/null 2>&1 && fail "d2 holds b2 (Pamulang)"

CASE="a move is noted and followed"
dev d1 put beneficiary b1 "$(ben Pamulang Ani)" >/dev/null
sync_once d1
[ "$(part_of beneficiary b1)" = Pamulang ] || fail "b1 moved: $(part_of beneficiary b1)"
[ "$(part_of visit v1)" = Pamulang ] || fail "v1 moved with b1: $(part_of visit v1)"
[ -n "$(pg_sql hub "SELECT moved FROM records WHERE id = 'b1' AND moved IS NOT NULL")" ] ||
  fail "b1's move is not stored"
sync_once d2
dev d2 get beneficiary b1 >/dev/null 2>&1 && fail "b1 left d2's scope but stayed"
dev d2 get visit v1 >/dev/null 2>&1 && fail "v1 left d2's scope but stayed"
stop_hub

CASE="a database from before the columns is indexed once"
pg_sql hub "UPDATE records SET part = NULL, moved = NULL" >/dev/null
pg_sql hub "DELETE FROM meta WHERE key = 'scope.parts_indexed'" >/dev/null
start_hub_at "${URL##*:}"
[ "$(part_of beneficiary b2)" = Pamulang ] || fail "b2 not indexed: $(part_of beneficiary b2)"
[ "$(part_of visit v1)" = Pamulang ] || fail "v1 not indexed: $(part_of visit v1)"
[ "$(pg_sql hub "SELECT value FROM meta WHERE key = 'scope.parts_indexed'")" = 1 ] ||
  fail "the index is not marked done"
dev d1 put beneficiary b3 "$(ben Setu Citra)" >/dev/null
sync_once d1
enrol d3 Setu
sync_once d3
dev d3 export | grep -o '"id":"[^"]*"' | sort | tr '\n' ' ' >"$OUT"
# b3 in Setu, and the note (a collection without a scope goes to everyone)
[ "$(cat "$OUT")" = '"id":"b3" "id":"n1" ' ] ||
  fail "a new Setu device holds: $(cat "$OUT")"

CASE="visits that reach the hub before their beneficiary follow it"
# Found by their "value":"ID" in the database, then checked: v5 names b5
# in its notes, not as its beneficiary, and stays where it is.
dev d1 put visit v4 "$(visit b4)" >/dev/null
dev d1 put visit v5 '{"beneficiary":"b2","date":"2024-05-01","programme":"skills-cooking","notes":"b4"}' >/dev/null
sync_once d1
[ "$(part_of visit v4)" = "" ] || fail "v4 before b4: $(part_of visit v4)"
v5_seq=$(pg_sql hub "SELECT seq FROM records WHERE id = 'v5'")
dev d1 put beneficiary b4 "$(ben Setu Dewi)" >/dev/null
sync_once d1
[ "$(part_of visit v4)" = Setu ] || fail "v4 did not follow b4: $(part_of visit v4)"
[ "$(pg_sql hub "SELECT seq FROM records WHERE id = 'v5'")" = "$v5_seq" ] ||
  fail "v5 (not b4's) was saved again"
sync_once d3
dev d3 get visit v4 >/dev/null || fail "the Setu device lacks v4"
CASE="a visit pushed with its new beneficiary, before it, follows it"
# One push group: the beneficiary's followers are read with the group's
# prefetch (one query for every new record), and the visit's note, kept
# in the same transaction, is among them.
dev d1 put visit v6 "$(visit b6)" >/dev/null
dev d1 put beneficiary b6 "$(ben Setu Eka)" >/dev/null
sync_once d1
[ "$(part_of visit v6)" = Setu ] || fail "v6 did not follow b6: $(part_of visit v6)"
sync_once d3
dev d3 get visit v6 >/dev/null || fail "the Setu device lacks v6"

CASE="a follower noted twice in one group is saved again once"
# v9 reached the hub before b9 (its note is in the table); then one push
# edits v9 (noting it again in the transaction) and brings b9: three saves
# (v9, b9, v9 moved with b9), not v9 moved twice.
dev d1 put visit v9 "$(visit b9)" >/dev/null
sync_once d1
before=$(pg_sql hub "SELECT seq FROM feed_counter WHERE id = 1")
dev d1 put visit v9 '{"beneficiary":"b9","date":"2024-05-02","programme":"skills-cooking"}' >/dev/null
dev d1 put beneficiary b9 "$(ben Setu Fitri)" >/dev/null
sync_once d1
after=$(pg_sql hub "SELECT seq FROM feed_counter WHERE id = 1")
[ "$(part_of visit v9)" = Setu ] || fail "v9 did not follow b9: $(part_of visit v9)"
[ $((after - before)) = 3 ] || fail "$((after - before)) saves, not 3"

notes() { # notes REF: the visits noted as following REF
  pg_sql hub "SELECT string_agg(id, ',' ORDER BY id) FROM refs WHERE ref = '$1' AND collection = 'visit'"
}
[ "$(notes b4)" = v4 ] || fail "notes of b4: $(notes b4)"
[ "$(notes b2)" = v2,v5 ] || fail "notes of b2: $(notes b2)"
stop_hub

CASE="a database from before the notes is noted once, then moves use them"
pg_sql hub "DELETE FROM refs" >/dev/null
pg_sql hub "DELETE FROM meta WHERE key = 'refs.complete'" >/dev/null
start_hub_at "${URL##*:}"
[ "$(pg_sql hub "SELECT value FROM meta WHERE key = 'refs.complete'")" = 1 ] ||
  fail "the notes are not marked complete"
[ "$(notes b4)" = v4 ] || fail "notes of b4 after the fill: $(notes b4)"
[ "$(notes b1)" = v1 ] || fail "notes of b1 after the fill: $(notes b1)"
dev d1 put beneficiary b4 "$(ben Pamulang Dewi)" >/dev/null
sync_once d1
[ "$(part_of visit v4)" = Pamulang ] || fail "v4 did not follow b4: $(part_of visit v4)"

CASE="a scoped page takes each entry's part as stored, read with its state"
# Set by hand against the state (b3 says Setu): the page goes by the part
# the feed query read beside the row, not by decoding the state.
pg_sql hub "UPDATE records SET part = 'Ciputat' WHERE id = 'b3'" >/dev/null
enrol d4 Setu
enrol d5 Ciputat
sync_once d4
sync_once d5
dev d4 get beneficiary b3 >/dev/null 2>&1 && fail "the Setu device got b3 (stored in Ciputat)"
dev d5 get beneficiary b3 >/dev/null || fail "the Ciputat device lacks b3"

CASE="a visit takes its beneficiary's part as stored, read with the push"
# Again set by hand against the state (b2 says Pamulang): the push's
# prefetch read it beside the state, and the visit's scope comes from it.
pg_sql hub "UPDATE records SET part = 'Serpong' WHERE id = 'b2'" >/dev/null
dev d1 put visit v7 "$(visit b2)" >/dev/null
sync_once d1
[ "$(part_of visit v7)" = Serpong ] || fail "v7: $(part_of visit v7)"
stop_hub
echo ok
