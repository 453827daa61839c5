/*
 * schema_consent.c - consent withdrawal wins (see schema.h,
 * schema_normalise): a record of a collection with a consent field holds
 * no personal field unless some surviving consent value is true.
 */
#include "compat.h"

#include "record.h"
#include "schema.h"

#include <string.h>

bool schema_consented(const struct schema_collection *c, const struct record *r)
{
  const struct field *f;
  size_t k, n;

  if (c == NULL || c->consent == NULL)
    return true;
  f = record_field(r, c->consent);
  n = f != NULL ? record_field_nentries(f) : 0;
  for (k = 0; k < n; k++) {
    const struct entry *e = record_field_entry(f, k);
    if (e->value != NULL && strcmp(e->value, "true") == 0)
      return true;
  }
  return false;
}

int schema_normalise(const struct schema_collection *c, struct record *r)
{
  size_t i;
  int dropped = 0;

  if (schema_consented(c, r))
    return 0;
  for (i = 0; i < c->nfields; i++) {
    if (c->fields[i].personal)
      dropped += record_drop_field(r, c->fields[i].name);
  }
  return dropped;
}

int schema_check_kept(const struct schema_collection *c, const cJSON *fields,
                      const struct record *next, struct sb_err *err)
{
  const cJSON *m;

  if (c == NULL || c->consent == NULL)
    return 0;
  for (m = fields->child; m != NULL; m = m->next) {
    if (!cJSON_IsNull(m) && record_field(next, m->string) == NULL)
      return sb_err_set(err, SB_ESCHEMA,
                        "%s is not given for this %s (no value of it is "
                        "true): personal details (%s) cannot be stored; set "
                        "%s to true in the same write",
                        c->consent, c->name, m->string, c->consent);
  }
  return 0;
}
