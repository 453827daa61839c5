#!/usr/bin/env bash
# A page of changes stays under the body limit whatever its records weigh:
# 30 records of ~700 KB (a free-form collection; a schema may allow
# strings up to 1 MiB) are ~21 MB together, over the 16 MiB a device
# accepts in one reply. The hub cuts the page by bytes, so a fresh device
# pulls them all in several pages instead of refusing the same page on
# every sync forever. d2 (scope all) reads the plain feed, d3 (scope
# Setu: free-form records are in every scope) the scoped one.
. "$(dirname "$0")/lib.sh"

N=30
expect_hub_ok init
start_hub
enrol d1
enrol d2
enrol d3 Setu
for i in $(seq -w 1 "$N"); do
  head -c 700000 /dev/zero | tr '\0' "$((10#$i % 10))" | sed 's/.*/{"text":"&"}/' |
    dev d1 put notes "big$i" - >/dev/null || fail "put big$i"
done
sync_once d1
[ "$("$HUB" export | grep -c '"big')" = "$N" ] || fail "the hub does not hold the $N records"

for d in d2 d3; do
  dev $d sync --once >"$OUT" 2>"$ERR" || fail "the fresh pull of $d failed: $(cat "$ERR")"
  [ "$(dev $d export | grep -c '"big')" = "$N" ] ||
    fail "$d holds $(dev $d export | grep -c '"big') of the $N records"
  # ~21 MB in pages of at most 8 MiB of records: three at least.
  pages=$(grep -c "GET /v1/changes 200 .* $d\$" "$WORK/hub.log")
  [ "$pages" -ge 3 ] || fail "$d pulled the $N records in $pages pages"
  dev $d sync --once >"$OUT" 2>"$ERR" || fail "the no-op sync of $d failed: $(cat "$ERR")"
done
expect_converged d1 d2 d3
echo "ok ($N records of 700 KB pulled)"
