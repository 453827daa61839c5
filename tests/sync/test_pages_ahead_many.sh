#!/usr/bin/env bash
# More fresh devices than the hub has slots for pages made ahead (16,
# daemon/hub/DESIGN.md "Pages ahead") pull at once in small pages, while
# another device pushes edits to records they are paging through: slots
# taken, reused, given up and jobs overtaken by their requests all happen,
# and every device still ends with exactly the hub's states. Runs on both
# backends (sync_pg.pages_ahead_many).
. "$(dirname "$0")/lib.sh"

ahead() { metric "sambang_hub_pages_ahead_total{outcome=\"$1\"}"; }
DEVICES=18

expect_hub_ok init
start_hub
enrol src
notes_jsonl n 400 >"$WORK/n.jsonl"
dev src import "$WORK/n.jsonl" >/dev/null || fail "import failed"
sync_once src
printf 'page = 10\n' >"$WORK/pages.conf"
names=()
for ((i = 1; i <= DEVICES; i++)); do
  enrol "d$i"
  names+=("d$i")
done

pids=()
for d in "${names[@]}"; do
  dev "$d" sync --once --config "$WORK/pages.conf" >"$WORK/$d.out" \
    2>"$WORK/$d.err" &
  pids+=($!)
done
# Meanwhile: edits of notes spread over the feed, pushed in three rounds.
for round in 1 2 3; do
  for i in 7 91 188 273 356; do
    dev src put notes "$(printf 'n-%05d' "$i")" \
      "{\"i\":$i,\"text\":\"round $round\"}" >/dev/null ||
      fail "edit of note $i failed"
  done
  sync_once src
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || fail "the sync of ${names[$i]} failed: $(cat "$WORK/${names[$i]}.err")"
done
[ "$(ahead used)" -gt 0 ] || fail "no page made ahead was used"
# A device that paged past an edit before it came gets it next time.
sync_to_rest 3 "${names[@]}"
expect_converged src "${names[@]}"
echo "ok"
