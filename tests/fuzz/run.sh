#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS_PER_TARGET - runs every libFuzzer target of a
# SAMBANG_FUZZ=ON build on a copy of its seed corpus (tests/fuzz/corpus/
# <target>/) for the given time; fails if any target crashes, leaks or
# times out. Crash inputs are kept in BUILD_DIR/fuzz-artifacts/<target>/.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS_PER_TARGET" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
targets="fuzz_push_req fuzz_push_reply fuzz_changes_page fuzz_changes_query fuzz_strict_json fuzz_record_decode fuzz_schema fuzz_headers"
work=$(mktemp -d "${TMPDIR:-/tmp}/sambang-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=""
for t in $targets; do
  bin="$build/tests/fuzz/$t"
  if [ ! -x "$bin" ]; then
    echo "$t: not built ($bin); configure with CC=clang -DSAMBANG_FUZZ=ON" >&2
    exit 2
  fi
  mkdir -p "$work/$t" "$build/fuzz-artifacts/$t"
  cp "$here/corpus/$t/"* "$work/$t/"
  echo "== $t: ${seconds}s on $(ls "$work/$t" | wc -l) seeds"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t/" \
    "$work/$t" >"$work/$t.log" 2>&1; then
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" \
      "$work/$t.log"
    echo "   corpus now $(ls "$work/$t" | wc -l) inputs; no crash"
  else
    tail -n 40 "$work/$t.log"
    echo "!! $t FAILED (inputs in $build/fuzz-artifacts/$t/)"
    failed="$failed $t"
  fi
done

if [ -n "$failed" ]; then
  echo "fuzzing failed:$failed"
  exit 1
fi
echo "fuzzing passed: no crash in $targets"
