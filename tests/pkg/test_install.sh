#!/usr/bin/env bash
# `cmake --install` (into a DESTDIR) lands the binaries, the units (their
# programs named by the configured prefix, nothing hard-coded), the
# sysusers.d/tmpfiles.d entries, examples, schema, man pages, completion
# and docs; the units pass systemd-analyze verify.
# Usage: test_install.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
build=$1
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root=$(mktemp -d "${TMPDIR:-/tmp}/sambang-install.XXXXXX")
trap 'rm -rf "$root"' EXIT
DESTDIR=$root cmake --install "$build" >"$root.log" 2>&1 ||
  { cat "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
p=$prefix
expect_files "$root" "$p/bin/sambang" "$p/bin/sambangd" "$p/sbin/sambang-hub" \
  "$p/lib/systemd/system/sambang-hub.service" \
  "$p/lib/systemd/system/sambang-hub-compact.service" \
  "$p/lib/systemd/system/sambang-hub-compact.timer" \
  "$p/lib/systemd/system/sambangd@.service" \
  "$p/lib/systemd/user/sambangd.service" \
  "$p/lib/sysusers.d/sambang-hub.conf" "$p/lib/tmpfiles.d/sambang-hub.conf" \
  "$p/share/sambang/schema.json" \
  "$p/share/doc/sambang/examples/sambangd.conf.example" \
  "$p/share/doc/sambang-hub/examples/hub.env.example" \
  "$p/share/doc/sambang/README.md" "$p/share/doc/sambang/PROTOCOL.md" \
  "$p/share/doc/sambang/DESIGN-common.md" "$p/share/doc/sambang/DESIGN-sync.md" \
  "$p/share/doc/sambang-hub/DESIGN-hub.md" \
  "$p/share/bash-completion/completions/sambang" \
  "$p/share/bash-completion/completions/sambangd" \
  "$p/share/bash-completion/completions/sambang-hub" \
  "$p/share/locale/id/LC_MESSAGES/sambang.mo" \
  "$p/share/locale/id/LC_MESSAGES/sambang-hub.mo"
if [ -f "$build/deploy/man/sambang.1" ]; then
  expect_files "$root" "$p/share/man/man1/sambang.1.gz" \
    "$p/share/man/man8/sambangd.8.gz" "$p/share/man/man8/sambang-hub.8.gz" \
    "$p/share/man/man5/sambangd.conf.5.gz"
else
  echo "note: scdoc missing, no man pages installed"
fi
cmp -s "$root$p/share/sambang/schema.json" "$(dirname "$0")/../../deploy/schema.json" ||
  fail "the installed schema is not deploy/schema.json"

# The units run what was installed, by the configured prefix.
units=("$root$p"/lib/systemd/system/*.service "$root$p"/lib/systemd/user/*.service)
for u in "${units[@]}"; do
  grep -q '@[A-Z_]*@' "$u" && fail "${u##*/}: an unconfigured @VAR@"
  for prog in $(unit_paths "$u"); do
    case $prog in
    /bin/sh | /bin/kill) ;;
    "$p"/*) [ -x "$root$prog" ] || fail "${u##*/} runs $prog, not installed" ;;
    *) fail "${u##*/} runs $prog, outside the prefix $p" ;;
    esac
  done
done
grep -q "^ExecStart=$p/sbin/sambang-hub serve" \
  "$root$p/lib/systemd/system/sambang-hub.service" ||
  fail "the hub's unit does not run $p/sbin/sambang-hub serve"
grep -q "^ExecStart=$p/sbin/sambang-hub compact$" \
  "$root$p/lib/systemd/system/sambang-hub-compact.service" ||
  fail "the compact unit does not run $p/sbin/sambang-hub compact"
grep -q "^u sambang " "$root$p/lib/sysusers.d/sambang-hub.conf" ||
  fail "sysusers.d: no user sambang"
grep -q "^d /var/lib/sambang-hub 0700 sambang sambang" \
  "$root$p/lib/tmpfiles.d/sambang-hub.conf" || fail "tmpfiles.d: no state dir"
verify_units "$root" "$root$p"/lib/systemd/system/*.service \
  "$root$p"/lib/systemd/system/*.timer
[ $rc -eq 0 ] && echo "ok: installed under $prefix"
exit $rc
