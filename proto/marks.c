/*
 * marks.c - the Sambang-Marks header (PROTOCOL.md, "Headers"): what a
 * device holds that is not at the hub, as it last counted, so the office
 * sees records stuck on a device. Strict: exactly
 * "pending=N refused=M", each a decimal without leading zeros, at most
 * SB_COUNTER_MAX.
 */
#include "compat.h"

#include "proto.h"
#include "vv.h"

#include <stdio.h>
#include <string.h>

void proto_marks_encode(const struct proto_marks *m,
                        char out[PROTO_MARKS_TEXT_MAX + 1])
{
  snprintf(out, PROTO_MARKS_TEXT_MAX + 1, "pending=%llu refused=%llu",
           (unsigned long long)m->pending, (unsigned long long)m->refused);
}

/* Reads "NAME=" and a decimal at *p into *v; false if malformed. */
static bool read_count(const char **p, const char *name, uint64_t *v)
{
  size_t n = strlen(name), digits = 0;
  const char *s = *p;
  uint64_t x = 0;

  if (strncmp(s, name, n) != 0 || s[n] != '=')
    return false;
  s += n + 1;
  while (s[digits] >= '0' && s[digits] <= '9') {
    if (digits == 16)
      return false;
    x = x * 10 + (uint64_t)(s[digits] - '0');
    digits++;
  }
  if (digits == 0 || (digits > 1 && s[0] == '0') || x > SB_COUNTER_MAX)
    return false;
  *v = x;
  *p = s + digits;
  return true;
}

int proto_marks_decode(const char *text, struct proto_marks *out,
                       struct sb_err *err)
{
  const char *p = text;
  struct proto_marks m;

  if (!read_count(&p, "pending", &m.pending) || *p++ != ' ' ||
      !read_count(&p, "refused", &m.refused) || *p != '\0')
    return sb_err_set(
        err, SB_EPROTOCOL,
        "header %s must be \"pending=N refused=M\", got \"%.80s\"",
        PROTO_MARKS_HEADER, text);
  *out = m;
  return 0;
}
