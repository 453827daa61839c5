/*
 * proto_err.c - the protocol's error codes: enum <-> wire name, HTTP
 * status, meaning, all read from the one table in proto_err.h.
 */
#include "compat.h"

#include "proto_err.h"

#include <string.h>

struct entry {
  const char *name;
  unsigned status;
  const char *meaning;
};

static const struct entry table[PROTO_ERR_COUNT_] = {
    [PROTO_ERR_UNKNOWN] = {"unknown", 500, "a code this build does not know"},
#define PROTO_ERR_ENTRY(code, wire, st, text)                                  \
  [PROTO_ERR_##code] = {wire, st, text},
    PROTO_ERR_MAP(PROTO_ERR_ENTRY)
#undef PROTO_ERR_ENTRY
};

/* The table row of code (the unknown row if out of range). */
static const struct entry *row(enum proto_err code)
{
  if ((unsigned)code >= PROTO_ERR_COUNT_)
    code = PROTO_ERR_UNKNOWN;
  return &table[code];
}

const char *proto_err_name(enum proto_err code)
{
  return row(code)->name;
}

enum proto_err proto_err_parse(const char *name)
{
  unsigned i;

  if (name == NULL)
    return PROTO_ERR_UNKNOWN;
  for (i = 1; i < PROTO_ERR_COUNT_; i++)
    if (strcmp(table[i].name, name) == 0)
      return (enum proto_err)i;
  return PROTO_ERR_UNKNOWN;
}

unsigned proto_err_status(enum proto_err code)
{
  return row(code)->status;
}

const char *proto_err_meaning(enum proto_err code)
{
  return row(code)->meaning;
}
