#!/usr/bin/env bash
# garble_pages.sh FILE [PAGES]: random bytes over PAGES (default 2) whole
# pages in the middle of the SQLite database FILE, whatever its page size
# (read from the file's header: bytes 16-17, big-endian, 1 for 65536), so
# a corruption test damages records rather than a page's unused end.
set -euo pipefail
file=$1
count=${2:-2}
read -r hi lo < <(od -An -tu1 -j16 -N2 "$file")
size=$((hi * 256 + lo))
[ "$size" -ne 1 ] || size=65536
pages=$(($(stat -c %s "$file") / size))
[ "$pages" -gt "$count" ] || {
  echo "garble_pages.sh: $file has only $pages pages" >&2
  exit 1
}
dd if=/dev/urandom of="$file" bs="$size" count="$count" \
  seek=$(((pages - count) / 2)) iflag=fullblock conv=notrunc status=none
