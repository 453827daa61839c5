# lib.sh - helpers for the packaging tests (sourced by tests/pkg/test_*.sh).
#
#   expect_files ROOT PATHS...    each PATH (below ROOT) exists and is not empty
#   unit_paths UNIT               the absolute program paths a unit runs
#   verify_units ROOT UNITS...    systemd-analyze verify on copies of the
#                                 units whose programs are looked up in ROOT
set -euo pipefail

rc=0
fail() {
  echo "FAIL: $*" >&2
  rc=1
}

expect_files() {
  local root=$1 p
  shift
  for p in "$@"; do
    [ -s "$root$p" ] || fail "missing: $p"
  done
}

unit_paths() {
  sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\(\/[^ ]*\).*/\1/p' "$1" | sort -u
}

# systemd-analyze verify checks the syntax and that each program exists;
# the programs are in ROOT, not installed, so copies name ROOT's.
verify_units() {
  local root=$1 u tmp out
  shift
  if ! command -v systemd-analyze >/dev/null; then
    echo "note: systemd-analyze missing, units not verified"
    return 0
  fi
  tmp=$(mktemp -d)
  for u in "$@"; do
    local base=${u##*/} p
    cp "$u" "$tmp/$base"
    for p in $(unit_paths "$u"); do
      [ -x "$root$p" ] && sed -i "s|=\([-@:+!]*\)$p|=\1$root$p|" "$tmp/$base"
    done
    case $base in
    *@.service) mv "$tmp/$base" "$tmp/${base%@.service}@test.service"
      base=${base%@.service}@test.service ;;
    esac
    if ! out=$(systemd-analyze verify --man=no "$tmp/$base" 2>&1); then
      fail "systemd-analyze verify $base: $out"
    elif [ -n "$out" ]; then
      fail "systemd-analyze verify $base warns: $out"
    else
      echo "verified: $base"
    fi
  done
  rm -rf "$tmp"
}
