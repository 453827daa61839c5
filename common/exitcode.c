/*
 * exitcode.c - the one error-to-exit mapping of the three programs (the
 * tables are in exitcode.h).
 */
#include "compat.h"

#include "exitcode.h"

#include "err.h"

#include <stddef.h>

int exitcode_from_err(int code)
{
  switch (code) {
  case 0:
    return EXITCODE_OK;
#define EXITCODE_CASE(sb_code, name)                                           \
  case sb_code:                                                                \
    return EXITCODE_##name;
    EXITCODE_ERR_MAP(EXITCODE_CASE)
#undef EXITCODE_CASE
  default:
    return EXITCODE_FAILURE;
  }
}

const char *exitcode_meaning(int status)
{
  switch (status) {
#define EXITCODE_MEANING(name, value, meaning)                                 \
  case value:                                                                  \
    return meaning;
    EXITCODE_MAP(EXITCODE_MEANING)
#undef EXITCODE_MEANING
  default:
    return NULL;
  }
}
