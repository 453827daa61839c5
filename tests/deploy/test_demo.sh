#!/usr/bin/env bash
# The README's main job (deploy/demo.sh, what `quickstart.sh demo` runs)
# does what the README says: it ends with exit 0, the concurrent edit is
# shown as a conflict on a device and at the hub, every device's export
# and the hub's have the same digest, and after the resolution the value
# chosen is everywhere with no conflict left.
# usage: test_demo.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: test_demo.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

bash "$top/deploy/demo.sh" "$build" >"$out" 2>&1 || fail "the demo failed: $(tail -5 "$out")"
# the byte-identical section: ani, budi, citra and the hub, one digest
digests=$(sed -n 's/^\(ani\|budi\|citra\|hub\): *[0-9]* records, sha256 \([0-9a-f]*\)$/\2/p' "$out" | sort -u)
[ "$(sed -n '/records, sha256/p' "$out" | wc -l)" = 4 ] || fail "not four digests: $(grep sha256 "$out")"
[ "$(printf '%s\n' "$digests" | wc -l)" = 1 ] || fail "the exports differ: $(grep sha256 "$out")"
grep -q '^contact: 0857-4444-5555 | 0812-2222-3333 (conflict)$\|^contact: 0812-2222-3333 | 0857-4444-5555 (conflict)$' "$out" ||
  fail "no conflict shown on Citra's device"
grep -qP '^beneficiary\t[0-9a-f-]+\tcontact$' "$out" || fail "no conflict at the hub"
# after the resolution, on Budi's device: the chosen value, no conflict
sed -n '/^\$ sambang --db budi.db beneficiary show/,/^\$/p' "$out" | tail -n +2 >"$out.after"
grep -q '^contact: 0812-2222-3333$' "$out.after" || fail "the resolution did not reach Budi: $(cat "$out.after")"
rm -f "$out.after"
grep -q '"open_conflicts":0' "$out" || fail "the dashboard still counts a conflict"
echo ok
