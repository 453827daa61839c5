/*
 * schema_consent.c - consent withdrawal wins (see schema.h,
 * schema_normalise): a record of a collection with a consent field holds
 * no personal field unless some surviving consent value is true, nor a
 * personal value written without having seen a withdrawal it holds.
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
  bool consented = schema_consented(c, r);
  size_t i;
  int dropped = 0;

  if (c == NULL || (consented && record_nwithdrawals(r) == 0))
    return 0;
  for (i = 0; i < c->nfields; i++) {
    if (!c->fields[i].personal)
      continue;
    dropped += consented ? record_drop_withdrawn(r, c->fields[i].name)
                         : record_drop_field(r, c->fields[i].name);
  }
  return dropped;
}

bool schema_erases(const struct schema_collection *c, const struct record *r,
                   const char *field, const struct dot *d)
{
  const struct schema_field *f = c != NULL ? schema_field(c, field) : NULL;

  return f != NULL && f->personal &&
         (!schema_consented(c, r) || record_withdrawn(r, d));
}

bool schema_normal(const struct schema_collection *c, const struct record *r)
{
  bool consented = schema_consented(c, r);
  size_t i, k;

  if (c == NULL || c->consent == NULL)
    return true;
  for (i = 0; i < c->nfields; i++) {
    const struct field *f =
        c->fields[i].personal ? record_field(r, c->fields[i].name) : NULL;
    if (f != NULL && !consented)
      return false;
    for (k = 0; f != NULL && k < record_field_nentries(f); k++) {
      if (record_withdrawn(r, &record_field_entry(f, k)->dot))
        return false;
    }
  }
  return true;
}

int schema_note_withdrawal(const struct schema_collection *c, struct record *r,
                           const struct dot *d, bool deleted)
{
  const struct field *f;
  size_t k;
  bool withdrew = deleted;

  if (c == NULL || c->consent == NULL)
    return 0;
  f = record_field(r, c->consent);
  for (k = 0; !withdrew && f != NULL && k < record_field_nentries(f); k++) {
    const struct entry *e = record_field_entry(f, k);
    withdrew = vv_dot_cmp(&e->dot, d) == 0 &&
               (e->value == NULL || strcmp(e->value, "true") != 0);
  }
  return withdrew ? record_withdraw(r, d->replica) : 0;
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
