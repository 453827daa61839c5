/*
 * fuzz_schema.c - schema_parse on arbitrary text: the schema file an
 * office gives `sambang init --schema` and `sambang-hub init --schema`.
 * Refused, it says why and gives no schema; accepted, the schema is
 * whole: every collection and field found by its name, every field's
 * option and the scope fields named.
 */
#include "compat.h"

#include "schema.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_whole(const struct schema *s)
{
  for (size_t i = 0; i < s->nc; i++) {
    const struct schema_collection *c = &s->c[i];
    if (c->name == NULL || schema_collection(s, c->name) != c)
      abort();
    for (size_t k = 0; k < c->nfields; k++) {
      const struct schema_field *f = &c->fields[k];
      if (f->name == NULL || f->option == NULL || schema_field(c, f->name) != f)
        abort();
    }
    if ((c->scope_field != NULL && schema_field(c, c->scope_field) == NULL) ||
        (c->scope_follows != NULL && schema_field(c, c->scope_follows) == NULL))
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct schema *s = NULL;
  struct sb_err err = {0};
  char *text = malloc(size + 1);
  int rc;

  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  rc = schema_parse(text, &s, &err);
  if (rc != 0) {
    if (s != NULL || err.msg[0] == '\0')
      abort();
  } else {
    if (s == NULL)
      abort();
    check_whole(s);
    schema_free(s);
  }
  free(text);
  return 0;
}
