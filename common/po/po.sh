#!/bin/bash
# po.sh - the message catalogue of sambang, sambangd and sambang-hub.
#
#   bash common/po/po.sh update   re-extract sambang.pot from the sources and
#                                 merge it into id.po (then translate what
#                                 msgattrib --untranslated/--only-fuzzy shows)
#   bash common/po/po.sh check    fail if sambang.pot or id.po is stale, or a
#                                 message lacks an Indonesian translation
#                                 (ctest i18n.catalogue)
#
# Messages are marked with _() / N_() (common/i18n.h); sb_err_set,
# sb_err_prefix, util_usage, schema.c's schema_err and the office API's
# office_reply_error translate their format string themselves, so they are
# keywords here too; common/err.h's table
# is its X() entries, proto/proto_err.h's the meanings (4th argument).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=${1:-check}
langs=(id)

sources() {
  cd "$top"
  ls common/*.c client/*.c daemon/sambangd/*.c daemon/sync/*.c proto/*.c \
    daemon/hub/*.c | LC_ALL=C sort
}

extract() { # extract OUT.pot
  local tmp
  tmp=$(mktemp -d)
  (cd "$top" && xgettext -o "$tmp/a.pot" --from-code=UTF-8 -LC --no-wrap \
    --package-name=sambang --msgid-bugs-address=sambang \
    -k_ -kN_ -ki18n_text \
    -ksb_err_set:3 --flag=sb_err_set:3:c-format \
    -ksb_err_prefix:2 --flag=sb_err_prefix:2:c-format \
    -kutil_usage:2 --flag=util_usage:2:c-format \
    -kusage_error:1 --flag=usage_error:1:c-format \
    -khub_cmd_usage_error:2 --flag=hub_cmd_usage_error:2:c-format \
    -kschema_err:3 --flag=schema_err:3:c-format \
    -koffice_reply_error:3 --flag=office_reply_error:3:c-format \
    -ksync_attempt_failed:5 --flag=sync_attempt_failed:5:c-format \
    $(sources))
  (cd "$top" && xgettext -o "$tmp/b.pot" --from-code=UTF-8 -LC --no-wrap \
    --package-name=sambang --msgid-bugs-address=sambang -kX:3 common/err.h)
  (cd "$top" && xgettext -o "$tmp/c.pot" --from-code=UTF-8 -LC --no-wrap \
    --package-name=sambang --msgid-bugs-address=sambang -kX:4 \
    proto/proto_err.h)
  msgcat --no-wrap -o "$1" "$tmp/a.pot" "$tmp/b.pot" "$tmp/c.pot"
  rm -rf "$tmp"
}

# The msgids of a catalogue, sorted, without the header.
ids() {
  msgcat --no-wrap --no-location --sort-output "$1" |
    grep -v -e '^"POT-Creation-Date' -e '^"PO-Revision-Date' -e '^#'
}

case $mode in
update)
  extract "$here/sambang.pot"
  for l in "${langs[@]}"; do
    msgmerge -q --update --backup=none --no-wrap --no-fuzzy-matching \
      "$here/$l.po" "$here/sambang.pot"
    msgattrib --no-wrap --no-obsolete -o "$here/$l.po" "$here/$l.po"
  done
  ;;
check)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  extract "$tmp/fresh.pot"
  rc=0
  if ! diff <(ids "$here/sambang.pot" | sed '/^msgstr/d') \
    <(ids "$tmp/fresh.pot" | sed '/^msgstr/d') >"$tmp/pot.diff"; then
    echo "FAIL: common/po/sambang.pot is stale (run bash common/po/po.sh update):" >&2
    head -40 "$tmp/pot.diff" >&2
    rc=1
  fi
  for l in "${langs[@]}"; do
    po=$here/$l.po
    msgfmt --check -o /dev/null "$po" || rc=1
    # every message of the sources is translated (not fuzzy, not empty)
    if ! msgcmp "$po" "$tmp/fresh.pot" 2>"$tmp/cmp"; then
      echo "FAIL: $l.po lacks translations:" >&2
      head -40 "$tmp/cmp" >&2
      rc=1
    fi
    # and holds nothing the sources no longer have
    msgmerge -q --no-wrap --no-fuzzy-matching -o "$tmp/m.po" "$po" "$tmp/fresh.pot"
    if [ -n "$(msgattrib --only-obsolete "$tmp/m.po")" ]; then
      echo "FAIL: $l.po is stale: messages gone from the sources:" >&2
      msgattrib --only-obsolete "$tmp/m.po" | head -20 >&2
      rc=1
    fi
    for what in --untranslated --only-fuzzy; do
      if [ -n "$(msgattrib $what "$po")" ]; then
        echo "FAIL: $l.po has entries $what:" >&2
        msgattrib --no-wrap $what "$po" | head -20 >&2
        rc=1
      fi
    done
  done
  [ $rc -eq 0 ] && echo "catalogue ok: $(grep -c '^msgid' "$tmp/fresh.pot") messages"
  exit $rc
  ;;
*)
  echo "usage: po.sh update|check" >&2
  exit 2
  ;;
esac
