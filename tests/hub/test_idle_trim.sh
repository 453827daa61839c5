#!/usr/bin/env bash
# An idle hub gives its freed heap back (daemon/hub/hub_trim.c): a second
# after the last request's work ends, malloc_trim runs once on the pool,
# counted by sambang_hub_heap_trims_total. Each burst of work (a push, the
# pages of a pull) is followed by its own trim; asking /metrics (answered
# on the loop, no pool work) does not start one.
. "$(dirname "$0")/lib.sh"

expect_hub_ok init
tok=$("$HUB" device add one --scope all)
r=$(dev_init d1)
awk 'BEGIN { for (i = 0; i < 1000; i++)
  printf "{\"collection\":\"notes\",\"fields\":{\"t\":\"note %d %0900d\"},\"id\":\"n%d\"}\n", i, i, i }' \
  >"$WORK/notes.jsonl"
dev d1 import "$WORK/notes.jsonl" >/dev/null || fail "import failed"
batch_of d1 >"$WORK/b1.json"
start_hub

# Nothing done yet: no trim, however often /metrics is read.
[ "$(metric sambang_hub_heap_trims_total)" = 0 ] || fail "a trim before any work"

push "$tok" "$r" "$WORK/b1.json"
expect_status 200
wait_metric sambang_hub_heap_trims_total 1

pull "$tok" "$r" 'limit=5000'
expect_status 200
[ "$(page_size)" = 1000 ] || fail "the pull did not bring the 1000 notes"
wait_metric sambang_hub_heap_trims_total 2
echo "ok"
