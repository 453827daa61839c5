#!/usr/bin/env bash
# Which form a device pushes its states in (proto/PROTOCOL.md, "The
# compact form"). Its store holds the compact form; a hub from before that
# form would read such a state without its "values" and lose them, so the
# device sends it only to a hub whose last reply said it reads it
# (Sambang-Forms: compact), and then as the form's own media type, which
# an older hub refuses (415) rather than misreads. Against a stand-in
# hub (tests/tools/scripted_hub.py) that does not say so, every push is
# the full form as application/json; against one that does, pushes after
# its first reply are compact, and so are the next process's from its
# first (the store keeps what the hub said). An older hub put back in its
# place refuses those: each goes again in the full form, nothing lost.
. "$(dirname "$0")/lib.sh"

# Form lines: "CONTENT-TYPE FORM", one per push.
only_ok_lines() {
  if grep -v -e '^application/json full$' \
    -e '^application/vnd.sambang.compact+json compact$' "$1"; then
    fail "a push's form does not match its media type (above)"
  fi
}

# push_new PREFIX N FORMS: N new rows on d1 pushed to the stand-in hub
# (batches of 100), each push's form noted in FORMS (emptied first).
push_new() {
  : >"$3"
  notes_jsonl "$1" "$2" >"$WORK/$1.jsonl"
  dev d1 import "$WORK/$1.jsonl" >/dev/null || fail "import on d1 failed"
  dev d1 sync --once --server "$SCRIPTED_URL" --config "$WORK/once.conf" \
    >"$OUT" 2>"$ERR" || fail "sync --once failed: $(cat "$ERR")"
  grep -q "synced: pushed $2" "$OUT" || fail "expected $2 pushed: $(cat "$OUT")"
  only_ok_lines "$3"
}
# hub_forms: what d1's store keeps of the hub's forms.
hub_forms() {
  sqlite3 "$WORK/d1.db" "SELECT value FROM meta WHERE key = 'sync.hub_forms'"
}

CASE="an older hub"
scripted_d1 --forms "$WORK/old.forms" --ids "$WORK/ids" 200
sqlite3 "$WORK/d1.db" "SELECT count(*) FROM records WHERE state LIKE '{\"at\":%'" \
  >"$OUT"
[ "$(cat "$OUT")" = 1000 ] || fail "the store must hold the compact form"
printf 'batch = 100\n' >"$WORK/once.conf"
dev d1 sync --once --config "$WORK/once.conf" >"$OUT" 2>"$ERR" ||
  fail "sync --once failed: $(cat "$ERR")"
grep -q 'synced: pushed 1000' "$OUT" || fail "expected 1000 pushed: $(cat "$OUT")"
[ "$(wc -l <"$WORK/old.forms")" -eq 10 ] || fail "expected 10 pushes"
only_ok_lines "$WORK/old.forms"
if grep -q compact "$WORK/old.forms"; then
  fail "the compact form went to a hub that never said it reads it"
fi
if grep -q ' 415 ' "$WORK/scripted.log"; then fail "a push was refused 415"; fi

CASE="a hub that reads it"
start_scripted --compact --forms "$WORK/new.forms" 200
push_new m 1000 "$WORK/new.forms"
# Before the first reply the device cannot know: the first push is full.
head -n 1 "$WORK/new.forms" | grep -q 'full$' ||
  fail "the first push must be the full form: $(head -n 1 "$WORK/new.forms")"
grep -q 'compact$' "$WORK/new.forms" ||
  fail "no push was compact: $(cat "$WORK/new.forms")"
[ "$(hub_forms)" = compact ] ||
  fail "the store did not keep that the hub reads the compact form"

CASE="the next process knows it"
push_new p 300 "$WORK/new.forms"
[ "$(grep -c 'compact$' "$WORK/new.forms")" -eq 3 ] ||
  fail "every push must be compact, the first too: $(cat "$WORK/new.forms")"

CASE="an older hub put back"
start_scripted --forms "$WORK/back.forms" 200
push_new o 300 "$WORK/back.forms"
grep -q ' 415 ' "$WORK/scripted.log" ||
  fail "the first push should have gone compact and been refused (415)"
if grep -q compact "$WORK/back.forms"; then
  fail "the older hub took a compact push: $(cat "$WORK/back.forms")"
fi
[ "$(wc -l <"$WORK/back.forms")" -eq 3 ] ||
  fail "expected the 3 pushes in the full form: $(cat "$WORK/back.forms")"
[ -z "$(hub_forms)" ] ||
  fail "the store still says the hub reads the compact form"
# Every row reached the older hub: nothing is pending.
sqlite3 "$WORK/d1.db" "SELECT count(*) FROM pending" >"$OUT"
[ "$(cat "$OUT")" = 0 ] || fail "rows left pending: $(cat "$OUT")"
echo "ok: the compact form goes only where a reply said it is read"
