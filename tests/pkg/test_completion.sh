#!/usr/bin/env bash
# Bash completion (deploy/completion/): sourced into a shell, each
# program's completion function answers as the shell would ask it.
# Usage: test_completion.sh COMPLETION_DIR (env SAMBANG, SAMBANGD, HUB).
set -uo pipefail
dir=$1
: "${SAMBANG:?}" "${SAMBANGD:?}" "${HUB:?}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sambang-compl.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export SAMBANG_DB=$WORK/none.db # no store: the built-in schema
rc=0

# complete FUNC WORDS...: the last word is the one being completed.
complete_words() {
  local fn=$1
  shift
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
    "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

expect() { # expect WHAT GOT WANT
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1: got '$2', want '$3'" >&2
    rc=1
  fi
}

for f in sambang sambangd sambang-hub; do
  # shellcheck disable=SC1090
  . "$dir/$f" || { echo "FAIL: $dir/$f does not source" >&2; exit 1; }
done
complete -p sambang sambangd sambang-hub >/dev/null || {
  echo "FAIL: a program has no completion registered" >&2
  exit 1
}

expect "sambang bene" "$(complete_words _sambang "$SAMBANG" bene)" "beneficiary "
expect "sambang s" "$(complete_words _sambang "$SAMBANG" s)" "status sync "
expect "sambang --db X re" "$(complete_words _sambang "$SAMBANG" --db x re)" \
  "recover resolve "
got=$(complete_words _sambang "$SAMBANG" beneficiary "")
case $got in *add*list*show*) ;; *) echo "FAIL: beneficiary subcommands: $got" >&2; rc=1 ;; esac
expect "sambang --j" "$(complete_words _sambang "$SAMBANG" --j)" "--json "
expect "sambang init --tok" "$(complete_words _sambang "$SAMBANG" init --tok)" \
  "--token --token-file "
expect "sambangd --con" "$(complete_words _sambangd "$SAMBANGD" --con)" "--config "
expect "sambang-hub dev" "$(complete_words _sambang_hub "$HUB" dev)" "device "
expect "sambang-hub device " "$(complete_words _sambang_hub "$HUB" device "")" \
  "add list revoke rotate scope "
expect "sambang-hub pu" "$(complete_words _sambang_hub "$HUB" pu)" "purge "
expect "sambang-hub com" "$(complete_words _sambang_hub "$HUB" com)" "compact "
expect "sambang-hub he" "$(complete_words _sambang_hub "$HUB" he)" "held help "
expect "sambang-hub purge --old" \
  "$(complete_words _sambang_hub "$HUB" purge --old)" "--older-than "
expect "sambang-hub serve --lis" "$(complete_words _sambang_hub "$HUB" serve --lis)" \
  "--listen "
[ $rc -eq 0 ] && echo "ok"
exit $rc
