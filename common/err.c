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

int sb_err_set(struct sb_err *err, int code, const char *fmt, ...)
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
