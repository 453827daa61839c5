#!/usr/bin/env bash
# The Debian packages: a Release tree configured for /usr (beside the
# build, in BUILD/pkg-deb) builds sambang and sambang-hub with cpack; their
# contents (dpkg-deb -c), their Depends from dpkg-shlibdeps (dpkg-deb -I),
# the units (systemd-analyze verify on the unpacked files) and the hub's
# maintainer scripts (run against stubs and a throwaway state directory:
# remove keeps the store, purge deletes it) are checked. Nothing is
# installed on this machine.
# Usage: test_deb.sh SOURCE_DIR BUILD_DIR
. "$(dirname "$0")/lib.sh"
src=$1
out=$2/pkg-deb
for t in dpkg-deb dpkg-shlibdeps cpack; do
  command -v $t >/dev/null || { echo "SKIP: $t missing (apt-get install dpkg-dev)"; exit 77; }
done
mkdir -p "$out"
cmake -S "$src" -B "$out/tree" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
  >"$out/cmake.log" 2>&1 ||
  { cat "$out/cmake.log" >&2; exit 1; }
targets=(sambang sambangd sambang-hub)
grep -q '^SCDOC:FILEPATH=/' "$out/tree/CMakeCache.txt" && targets+=(man)
cmake --build "$out/tree" -j2 --target "${targets[@]}" >"$out/build.log" 2>&1 ||
  { tail -n 30 "$out/build.log" >&2; exit 1; }
rm -f "$out"/*.deb
(cd "$out/tree" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) ||
  { cat "$out/cpack.log" >&2; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$out/tree/CMakeCache.txt")
arch=$(dpkg --print-architecture)
cli=$out/sambang_${version}-1_${arch}.deb
hub=$out/sambang-hub_${version}-1_${arch}.deb
[ -s "$cli" ] && [ -s "$hub" ] || { ls "$out" >&2; fail "no packages"; exit 1; }

# contents PKG PATHS...: each PATH is in the package
contents() {
  local deb=$1 list p
  shift
  list=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
  for p in "$@"; do
    grep -qx -- "$p" <<<"$list" || fail "${deb##*/} lacks $p"
  done
}
contents "$cli" /usr/bin/sambang /usr/bin/sambangd \
  /usr/lib/systemd/user/sambangd.service /usr/lib/systemd/system/sambangd@.service \
  /usr/share/sambang/schema.json /usr/share/doc/sambang/examples/sambangd.conf.example \
  /usr/share/doc/sambang/README.md /usr/share/doc/sambang/PROTOCOL.md \
  /usr/share/bash-completion/completions/sambang \
  /usr/share/bash-completion/completions/sambangd \
  /usr/share/locale/id/LC_MESSAGES/sambang.mo
contents "$hub" /usr/sbin/sambang-hub /usr/lib/systemd/system/sambang-hub.service \
  /usr/lib/systemd/system/sambang-hub-compact.service \
  /usr/lib/systemd/system/sambang-hub-compact.timer \
  /usr/lib/sysusers.d/sambang-hub.conf /usr/lib/tmpfiles.d/sambang-hub.conf \
  /usr/share/doc/sambang-hub/examples/hub.env.example \
  /usr/share/doc/sambang-hub/DESIGN-hub.md \
  /usr/share/bash-completion/completions/sambang-hub \
  /usr/share/locale/id/LC_MESSAGES/sambang-hub.mo
if [[ " ${targets[*]} " == *" man "* ]]; then
  contents "$cli" /usr/share/man/man1/sambang.1.gz /usr/share/man/man8/sambangd.8.gz \
    /usr/share/man/man5/sambangd.conf.5.gz
  contents "$hub" /usr/share/man/man8/sambang-hub.8.gz
fi
# (Listings are captured first: grep -q would end a pipe early.)
list_cli=$(dpkg-deb -c "$cli")
list_hub=$(dpkg-deb -c "$hub")
grep -q 'sbin/sambang-hub' <<<"$list_cli" && fail "sambang holds the hub"
grep -q 'bin/sambangd$' <<<"$list_hub" && fail "sambang-hub holds sambangd"

# Depends: what the binaries link, from dpkg-shlibdeps.
depends() { dpkg-deb -f "$1" Depends; }
dcli=$(depends "$cli")
dhub=$(depends "$hub")
echo "sambang Depends: $dcli"
echo "sambang-hub Depends: $dhub"
for lib in libc6 libuv1 libcurl4 libsqlite3-0 libcjson1 libyajl2 libsystemd0; do
  grep -q "\b$lib\b" <<<"$dcli" || fail "sambang does not depend on $lib"
done
for lib in libc6 libuv1 libmicrohttpd12 libsqlite3-0 libcjson1 libssl3 libsystemd0 systemd; do
  grep -q "\b$lib\b" <<<"$dhub" || fail "sambang-hub does not depend on $lib"
done
grep -q libmicrohttpd <<<"$dcli" && fail "sambang depends on libmicrohttpd"
info_hub=$(dpkg-deb -I "$hub")
for s in postinst prerm postrm; do
  grep -q " $s " <<<"$info_hub" || fail "sambang-hub has no $s"
done

# Unpacked: the units verify, the maintainer scripts parse.
root=$out/root
rm -rf "$root" "$out/control"
mkdir -p "$root" "$out/control"
dpkg-deb -x "$cli" "$root"
dpkg-deb -x "$hub" "$root"
dpkg-deb -e "$hub" "$out/control"
verify_units "$root" "$root"/usr/lib/systemd/system/*.service \
  "$root"/usr/lib/systemd/system/*.timer
for s in postinst prerm postrm; do
  sh -n "$out/control/$s" || fail "$s does not parse"
done

# The maintainer scripts against stubs: what they call, and the state
# directory (moved into $out) kept on remove, deleted on purge.
stubs=$out/stubs
state=$out/state/sambang-hub
rm -rf "$stubs" "$out/state"
mkdir -p "$stubs" "$state"
: >"$state/hub.db"
for c in systemd-sysusers systemd-tmpfiles deb-systemd-helper deb-systemd-invoke systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$c" "$out/calls" >"$stubs/$c"
  chmod +x "$stubs/$c"
done
: >"$out/calls"
run_script() { # run_script NAME ARGS...
  local s=$1
  shift
  sed -e "s|/var/lib/sambang-hub|$state|g" \
    -e "s|/usr/bin/deb-systemd-helper|$stubs/deb-systemd-helper|g" \
    -e "s|/run/systemd/system|$out/no-systemd|g" "$out/control/$s" >"$out/$s.test"
  PATH=$stubs:/usr/bin:/bin sh "$out/$s.test" "$@" || fail "$s $* failed"
}
run_script postinst configure
grep -q "^systemd-sysusers /usr/lib/sysusers.d/sambang-hub.conf" "$out/calls" ||
  fail "postinst does not create the user: $(cat "$out/calls")"
grep -q "^deb-systemd-helper enable sambang-hub.service" "$out/calls" ||
  fail "postinst does not enable the service: $(cat "$out/calls")"
grep -q "^deb-systemd-helper enable sambang-hub-compact.timer" "$out/calls" ||
  fail "postinst does not enable the compact timer: $(cat "$out/calls")"
run_script prerm remove
run_script postrm remove
[ -e "$state/hub.db" ] || fail "postrm remove deleted the store"
run_script postrm purge
[ -e "$state" ] && fail "postrm purge left the state directory"
grep -q "^deb-systemd-helper purge sambang-hub.service" "$out/calls" ||
  fail "postrm purge does not purge the enablement: $(cat "$out/calls")"
grep -q "^deb-systemd-helper purge sambang-hub-compact.timer" "$out/calls" ||
  fail "postrm purge does not purge the timer: $(cat "$out/calls")"
[ $rc -eq 0 ] && echo "ok: $(basename "$cli") $(basename "$hub")"
exit $rc
