/* err.c - the error table and message helpers (see err.h). */
#include "compat.h"

#include "err.h"
#include "i18n.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sb_err_str(int code)
{
  switch (code) {
  case SB_OK:
    return i18n_text("success");
#define SB_ERR_CASE(name, num, msg)                                            \
  case SB_E##name:                                                             \
    return i18n_text(msg);
    SB_ERR_MAP(SB_ERR_CASE)
#undef SB_ERR_CASE
  }
  return i18n_text("unknown error");
}

const char *sb_err_name(int code)
{
  switch (code) {
  case SB_OK:
    return "OK";
#define SB_ERR_NAME(name, num, msg)                                            \
  case SB_E##name:                                                             \
    return #name;
    SB_ERR_MAP(SB_ERR_NAME)
#undef SB_ERR_NAME
  }
  return "UNKNOWN";
}

int sb_err_named(const char *name)
{
#define SB_ERR_BY_NAME(n, num, msg)                                            \
  if (strcmp(name, #n) == 0)                                                   \
    return SB_E##n;
  SB_ERR_MAP(SB_ERR_BY_NAME)
#undef SB_ERR_BY_NAME
  return 0;
}

/* (The name in parentheses: err.h's analyzer-only macro stays out.) */
int(sb_err_set)(struct sb_err *err, int code, const char *fmt, ...)
{
  if (err == NULL)
    return code;
  err->code = code;
  if (fmt == NULL) {
    snprintf(err->msg, sizeof(err->msg), "%s", sb_err_str(code));
  } else {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), i18n_text(fmt), ap);
    va_end(ap);
  }
  return code;
}

/* Appends s to msg[*at..], truncating within SB_ERR_MSG_MAX. */
static void msg_add(char *msg, size_t *at, const char *s)
{
  size_t n = strlen(s), room = SB_ERR_MSG_MAX - 1 - *at;

  if (n > room)
    n = room;
  memcpy(msg + *at, s, n);
  *at += n;
  msg[*at] = '\0';
}

int sb_err_not_found(struct sb_err *err, const char *collection, const char *id)
{
  size_t at = 0;

  if (err == NULL)
    return SB_ENOTFOUND;
  err->code = SB_ENOTFOUND;
  err->msg[0] = '\0';
  msg_add(err->msg, &at, collection != NULL ? collection : "(null)");
  msg_add(err->msg, &at, "/");
  msg_add(err->msg, &at, id != NULL ? id : "(null)");
  msg_add(err->msg, &at, " not found");
  return SB_ENOTFOUND;
}

void sb_err_prefix(struct sb_err *err, const char *fmt, ...)
{
  char old[SB_ERR_MSG_MAX];
  va_list ap;
  int n;

  if (err == NULL)
    return;
  memcpy(old, err->msg, sizeof(old));
  va_start(ap, fmt);
  n = vsnprintf(err->msg, sizeof(err->msg), i18n_text(fmt), ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(err->msg))
    return;
  /* Append ": old" after the prefix, truncating if need be. */
  snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %.*s",
           (int)(sizeof(err->msg) - (size_t)n), old);
}

int sb_err_from_errno(int e)
{
  switch (e) {
  case EACCES:
  case EPERM:
  case EROFS:
    return SB_EREADONLY;
  case ENOSPC:
  case EDQUOT:
    return SB_EFULL;
  case ENOMEM:
    return SB_ENOMEM;
  default:
    return SB_EIO;
  }
}
