#!/usr/bin/env bash
# The change feed never skips (issue 13): writers push through 3 hubs on
# one PostgreSQL database at once (new records and edits of older ones),
# while readers follow the feed by cursor only, each request through a
# random hub, with long-polls. Every reader must end holding every
# change: the same records in the same states as the hub (count and
# checksum). Several random runs, each on a fresh database.
SAMBANG_TEST_PG=1
. "$(dirname "$0")/../hub/lib.sh"
. "$(dirname "$0")/hubs.sh"

RUNS=${SKIP_RUNS:-3}
WRITERS=4
BATCHES=5
READERS=3

# The writers' batches, made once: batch b of writer w holds 4 new notes
# and an edit of a note of its batch b-1.
prep_writer() {
  local w=$1 b k prev
  dev "w$w" init >"$WORK/w$w.rep" || fail "init w$w"
  : >"$WORK/w$w.seen"
  for b in $(seq 1 "$BATCHES"); do
    for k in 1 2 3 4; do
      printf '{"collection":"notes","fields":{"b":%d,"k":%d,"text":"w%d"},"id":"w%d-%d-%d"}\n' \
        "$b" "$k" "$w" "$w" "$b" "$k"
    done >"$WORK/w$w.new"
    dev "w$w" import "$WORK/w$w.new" >/dev/null || fail "import of w$w's batch $b"
    if [ "$b" -gt 1 ]; then
      prev=$((b - 1))
      dev "w$w" put notes "w$w-$prev-1" "{\"edited\":$b}" >/dev/null
    fi
    dev "w$w" export >"$WORK/w$w.all"
    printf '{"records":[' >"$WORK/w$w.b$b"
    grep -vxF -f "$WORK/w$w.seen" "$WORK/w$w.all" | paste -sd, - >>"$WORK/w$w.b$b"
    printf ']}' >>"$WORK/w$w.b$b"
    cp "$WORK/w$w.all" "$WORK/w$w.seen"
  done
}

writer() { # writer W TOKEN REPLICA: every batch, each through a random hub
  local w=$1 tok=$2 rep=$3 b url st
  for b in $(seq 1 "$BATCHES"); do
    url=${HUB_URLS[$((RANDOM % 3 + 1))]}
    st=$(curl -sS -o "$WORK/w$w.reply" -w '%{http_code}' --max-time 60 \
      -H "Authorization: Bearer $tok" -H "Sambang-Replica: $rep" \
      -H 'Content-Type: application/json' --data-binary @"$WORK/w$w.b$b" \
      "$url/v1/push") || return 1
    [ "$st" = 200 ] || { echo "writer $w batch $b: $st" >&2; return 1; }
  done
}

reader() { # reader R TOKEN REPLICA: follows the feed until done and caught up
  local r=$1 tok=$2 rep=$3 cur=0 url st next body=$WORK/r$r.body last
  : >"$WORK/r$r.states"
  while :; do
    url=${HUB_URLS[$((RANDOM % 3 + 1))]}
    st=$(curl -sS -o "$body" -w '%{http_code}' --max-time 60 \
      -H "Authorization: Bearer $tok" -H "Sambang-Replica: $rep" \
      "$url/v1/changes?since=$cur&limit=7&wait=2") || return 1
    [ "$st" = 200 ] || { echo "reader $r: $st" >&2; return 1; }
    next=$(sed -n 's/.*,"next":\([0-9]*\)\(,"scope":"[^"]*"\)\{0,1\}}$/\1/p' "$body")
    if grep -q '{"record":' "$body"; then
      sed -e 's/^{"changes":\[{"record"://' \
        -e 's/,"seq":[0-9]*}\]\(,"horizon":[0-9]*\)\{0,1\}\(,"last":[0-9]*\)\{0,1\},"more":[a-z]*,"next":[0-9]*\(,"scope":"[^"]*"\)\{0,1\}}$//' \
        -e 's/,"seq":[0-9]*},{"record":/\n/g' "$body" >>"$WORK/r$r.states"
      echo >>"$WORK/r$r.states"
    fi
    cur=$next
    if [ -e "$WORK/done" ]; then
      last=$(cat "$WORK/done")
      [ "$cur" -lt "$last" ] || return 0
    fi
  done
}

# The last state a reader saw of each record, sorted.
reader_holds() {
  grep -v '^$' "$WORK/r$1.states" | tac |
    awk '{ match($0, /"collection":"[^"]*"/); c = substr($0, RSTART, RLENGTH);
           match($0, /"id":"[^"]*"/); k = c substr($0, RSTART, RLENGTH);
           if (!(k in seen)) { seen[k] = 1; print } }' | sort
}

for w in $(seq 1 "$WRITERS"); do prep_writer "$w" & done
wait
echo "batches made: $SECONDS s"

for run in $(seq 1 "$RUNS"); do
  CASE="run $run"
  SAMBANG_HUB_DB=$(pg_createdb "skip$run") || fail "createdb"
  expect_hub_ok init
  for w in $(seq 1 "$WRITERS"); do
    wtok[$w]=$("$HUB" device add "w$w" --scope all) || fail "device add"
    wrep[$w]=$(tail -n 1 "$WORK/w$w.rep")
  done
  for r in $(seq 1 "$READERS"); do
    rtok[$r]=$("$HUB" device add "r$r" --scope all) || fail "device add"
    rrep[$r]=$(printf 'reader%02d%08x' "$r" "$run")
  done
  hubs_start 3
  echo "run $run: hubs up at $SECONDS s"
  rm -f "$WORK/done"
  rpids=() wpids=()
  for r in $(seq 1 "$READERS"); do
    reader "$r" "${rtok[$r]}" "${rrep[$r]}" & rpids+=($!)
  done
  for w in $(seq 1 "$WRITERS"); do
    writer "$w" "${wtok[$w]}" "${wrep[$w]}" & wpids+=($!)
  done
  for p in "${wpids[@]}"; do wait "$p" || fail "a writer failed"; done
  echo "run $run: writers done at $SECONDS s"
  "$HUB" export | sort >"$WORK/hub.sorted" || fail "export"
  want=$((WRITERS * BATCHES * 4))
  [ "$(wc -l <"$WORK/hub.sorted")" -eq "$want" ] ||
    fail "the hub holds $(wc -l <"$WORK/hub.sorted") records, not $want"
  pg_sql "skip$run" "SELECT seq FROM feed_counter" >"$WORK/done.tmp"
  mv "$WORK/done.tmp" "$WORK/done"
  for p in "${rpids[@]}"; do wait "$p" || fail "a reader failed"; done
  sum=$(md5sum <"$WORK/hub.sorted")
  for r in $(seq 1 "$READERS"); do
    reader_holds "$r" >"$WORK/r$r.sorted"
    [ "$(wc -l <"$WORK/r$r.sorted")" -eq "$want" ] ||
      fail "reader $r holds $(wc -l <"$WORK/r$r.sorted") records, not $want"
    [ "$(md5sum <"$WORK/r$r.sorted")" = "$sum" ] ||
      fail "reader $r holds other states than the hub"
  done
  hubs_stop
  echo "run $run: $want records, $READERS readers complete"
done
