#!/usr/bin/env bash
# quickstart.sh - from a fresh Debian 12 machine to a working sambang.
#
#   deploy/quickstart.sh demo   install what is missing, build, run the main job
#   deploy/quickstart.sh certs DIR HOSTNAME [IP]
#                               an office CA and a hub certificate for a first
#                               install (deploy/make-certs.sh; see README)
#   deploy/quickstart.sh test   install what is missing, build, pass all tests
#                               (the whole suite under ASan + UBSan, -Werror,
#                               again under ThreadSanitizer, then ~1 minute of
#                               fuzzing the protocol decoders)
#
# Packages come from Debian only; apt runs only when something is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-demo}

packages=(build-essential cmake pkg-config clang
  libsqlite3-dev sqlite3 libcjson-dev libyajl-dev libuv1-dev
  libcurl4-openssl-dev libmicrohttpd-dev libgnutls28-dev libpq-dev postgresql zlib1g-dev libssl-dev
  openssl curl util-linux libclang-rt-14-dev faketime libsodium-dev libjs-chart.js libsystemd-dev scdoc
  groff-base man-db bash-completion dpkg-dev systemd gettext locales)
# test mode also drives the office dashboard in Debian's headless chromium
# from Node (playwright-core from npm; no browser is ever downloaded), and
# runs the tests' Python tools (random inputs, a stand-in hub).
# nginx-light: the TLS test's reverse-proxy case (skipped without it).
if [ "$mode" = test ]; then
  packages+=(chromium python3 nginx-light)
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "quickstart: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  # A daemon's package starts it once installed (nginx's default site
  # listens on every address); the tests start their own, on loopback, so
  # no package may start one here: Debian's policy-rc.d says so for the
  # install (as in containers), and a new nginx is not started at boot.
  local policy=/usr/sbin/policy-rc.d added=0 rc=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  [ "$added" -eq 0 ] || "${sudo[@]}" rm -f "$policy"
  if [ "$rc" -eq 0 ] && [ -d /run/systemd/system ] &&
    [[ " ${missing[*]} " == *" nginx-light "* ]]; then
    "${sudo[@]}" systemctl disable --quiet nginx 2>/dev/null || true
  fi
  return "$rc"
}

# The Indonesian locale the volunteers use (and the CLI tests speak):
# generated once if this machine lacks it.
ensure_locale() {
  locale -a 2>/dev/null | grep -qix 'id_ID.utf-\?8' && return 0
  echo "quickstart: generating the locale id_ID.UTF-8" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if [ -f /etc/locale.gen ] && command -v locale-gen >/dev/null; then
    "${sudo[@]}" sed -i 's/^# *\(id_ID.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^id_ID.UTF-8 UTF-8' /etc/locale.gen ||
      echo 'id_ID.UTF-8 UTF-8' | "${sudo[@]}" tee -a /etc/locale.gen >/dev/null
    "${sudo[@]}" locale-gen >/dev/null
  else
    "${sudo[@]}" localedef -i id_ID -f UTF-8 id_ID.UTF-8
  fi
}

build() { # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S "$top" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}

case "$mode" in
demo)
  install_missing
  ensure_locale
  build "$top/build-release" -DCMAKE_BUILD_TYPE=Release
  exec bash "$top/deploy/demo.sh" "$top/build-release"
  ;;
test)
  install_missing
  ensure_locale
  (cd "$top/tests/browser" &&
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
  # The demo's optimised build first: -O2's analysis finds warnings (and
  # so -Werror failures) that the -O0 sanitizer build does not.
  build "$top/build-release" -DCMAKE_BUILD_TYPE=Release
  build "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DASAN=ON
  cd "$top/build-asan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest -j"$(nproc)" --output-on-failure
  # Again under ThreadSanitizer, the tests whose processes run threads at
  # once: the hub's and sambangd's (unit, hub, sync and the several-hub pg
  # tests), the CLI's sync and its erasure beside a running sambangd. Left
  # to the ASan pass: the CLI's other tests (one thread), the hub and sync
  # tests replayed on PostgreSQL (the same threads; the pg group races hubs
  # on one database), the browser, the demo and the packages (the release
  # build), and the unit tests labelled one_thread (the merge's properties:
  # no second thread to race; tests/CMakeLists.txt). A race is reported to
  # a log file and the process goes on, so a report from a hub a test
  # killed counts too.
  build "$top/build-tsan" -DCMAKE_BUILD_TYPE=Debug -DTSAN=ON
  races=$(mktemp -d)
  (cd "$top/build-tsan" &&
    TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 log_path=$races/race" \
      ctest -j"$(nproc)" --output-on-failure \
      -R '^(unit|hub|sync|pg)\.|^cli\.(sync_cli|erasure)$' -LE one_thread)
  if compgen -G "$races/race.*" >/dev/null; then
    cat "$races"/race.*
    echo "quickstart.sh: ThreadSanitizer reported the races above" >&2
    exit 1
  fi
  rm -rf "$races"
  # The protocol decoders' fuzzers: 15 s each, about two minutes in all, under ASan.
  # Every target is built (with clang), so clang's -Werror holds for the
  # whole tree as gcc's does, not only for the fuzzers' part of it.
  CC=clang cmake -S "$top" -B "$top/build-fuzz" -DCMAKE_BUILD_TYPE=Debug \
    -DSAMBANG_FUZZ=ON >/dev/null
  cmake --build "$top/build-fuzz" -j"$(nproc)"
  bash "$top/tests/fuzz/run.sh" "$top/build-fuzz" 15
  ;;
certs)
  shift
  exec bash "$top/deploy/make-certs.sh" "$@"
  ;;
*)
  echo "usage: deploy/quickstart.sh [demo|test|certs DIR HOSTNAME [IP]]" >&2
  exit 2
  ;;
esac
