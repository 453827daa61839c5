#!/usr/bin/env bash
# A hub and three devices making random edits, many of them concurrent
# edits of the same records: after syncing (first with `sambang sync
# --once`, then with running daemons), every device's export equals the
# hub's, byte for byte.
. "$(dirname "$0")/lib.sh"

seed_random

expect_hub_ok init
start_hub
for d in d1 d2 d3; do enrol "$d"; done

# random_edits DEVICE N: puts and deletes over a key space shared by all.
random_edits() {
  local d=$1 n=$2 i k
  for ((i = 0; i < n; i++)); do
    k=k$((RANDOM % 12))
    if ((RANDOM % 6 == 0)); then
      dev "$d" rm notes "$k" >/dev/null 2>&1 || true
    else
      dev "$d" put notes "$k" \
        "{\"by\":\"$d\",\"n\":$RANDOM,\"f$((RANDOM % 3))\":$i}" >/dev/null ||
        fail "put on $d failed"
    fi
  done
}

# Round 1: everyone offline, editing the same records.
for d in d1 d2 d3; do random_edits "$d" 25; done
for d in d1 d2 d3 d1 d2; do sync_once "$d"; done
expect_converged d1 d2 d3
grep -q . "$WORK/hub.export" || fail "nothing reached the hub"
dev d1 conflicts >"$WORK/conflicts" || fail "conflicts failed"
grep -q . "$WORK/conflicts" || fail "concurrent edits made no conflict"

# A second sync changes nothing and sends nothing.
cp "$WORK/hub.export" "$WORK/before"
sync_once d1
grep -q 'pushed 0, pulled' "$OUT" || fail "an idle sync pushed: $(cat "$OUT")"
"$HUB" export | cmp -s - "$WORK/before" || fail "an idle sync changed the hub"

# Round 2: daemons running; the CLI tells them after each write.
for d in d1 d2 d3; do start_daemon "$d"; done
for d in d1 d2 d3; do random_edits "$d" 15; done
wait_until 60 converged d1 d2 d3
for d in d1 d2 d3; do stop_daemon "$d"; done
expect_converged d1 d2 d3

# Round 3: without gzip either way (`gzip = no`), the same edits and the
# same result.
printf 'gzip = no\n' >"$WORK/plain.conf"
for d in d1 d2 d3; do random_edits "$d" 10; done
for d in d1 d2 d3 d1 d2; do
  dev "$d" sync --once --config "$WORK/plain.conf" >"$OUT" 2>"$ERR" ||
    fail "sync of $d without gzip: $(cat "$ERR")"
done
expect_converged d1 d2 d3
stop_hub
echo ok
