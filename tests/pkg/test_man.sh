#!/usr/bin/env bash
# The man pages (deploy/man/*.scd, built by scdoc) render without a
# warning: groff -ww, then man -l as a reader would see them.
# Usage: test_man.sh MAN_DIR (the build's deploy/man).
set -euo pipefail
dir=$1
if [ ! -d "$dir" ] || ! ls "$dir"/*.[158] >/dev/null 2>&1; then
  echo "SKIP: no man pages built (apt-get install scdoc, then reconfigure)"
  exit 77
fi
if ! command -v groff >/dev/null || ! command -v man >/dev/null; then
  echo "SKIP: groff or man missing (apt-get install groff-base man-db)"
  exit 77
fi
rc=0
n=0
for page in sambang.1 sambangd.8 sambangd.conf.5 sambang-hub.8; do
  f=$dir/$page
  [ -s "$f" ] || { echo "FAIL: $page was not built" >&2; rc=1; continue; }
  warn=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
  [ -z "$warn" ] || { echo "FAIL: groff warns on $page: $warn" >&2; rc=1; }
  text=$(MANWIDTH=80 man --warnings -l "$f" 2>"$dir/.man.err" </dev/null)
  if [ -s "$dir/.man.err" ]; then
    echo "FAIL: man warns on $page: $(cat "$dir/.man.err")" >&2
    rc=1
  fi
  name=${page%.*}
  grep -q "^NAME" <<<"$text" && grep -q "$name -" <<<"$text" ||
    { echo "FAIL: $page has no NAME section naming $name" >&2; rc=1; }
  grep -q "^SEE ALSO" <<<"$text" || { echo "FAIL: $page has no SEE ALSO" >&2; rc=1; }
  n=$((n + 1))
done
rm -f "$dir/.man.err"
[ $rc -eq 0 ] && echo "ok: $n man pages render without warnings"
exit $rc
