/*
 * schema_review.c - merged states that need a person's review (see
 * schema.h).
 *
 * Validation is per write, never per merge (DESIGN.md): two valid writes
 * can merge into a state that breaks a rule of the record as a whole (a
 * required field gone after a delete met an edit, a name beside a consent
 * that is not true). The merge keeps such a state, identical everywhere;
 * this file tells which rules it breaks, computed from the state on read,
 * so every replica that holds the same state flags it the same way.
 */
#include "compat.h"

#include "schema_int.h"

#include "i18n.h"
#include "record.h"

#include <stdio.h>
#include <string.h>

/* The winner value of field name in r, or NULL if absent or null. */
static const char *winner(const struct record *r, const char *name)
{
  const struct field *f = record_field(r, name);
  const struct entry *e;

  if (f == NULL)
    return NULL;
  e = record_field_winner(f);
  if (e == NULL || e->value == NULL || strcmp(e->value, "null") == 0)
    return NULL;
  return e->value;
}

int schema_review(const struct schema_collection *c, const struct record *r,
                  char *why, size_t len)
{
  struct list missing = {.len = 0}, personal = {.len = 0};
  const char *consent;
  bool consented;
  size_t i, nmissing = 0;
  int n;

  if (why != NULL && len > 0)
    why[0] = '\0';
  if (c == NULL || r == NULL || record_deleted(r) || record_empty(r))
    return 0;
  /* Personal details count only beside a consent that is not true. */
  consent = c->consent != NULL ? winner(r, c->consent) : NULL;
  consented =
      c->consent == NULL || (consent != NULL && strcmp(consent, "true") == 0);
  for (i = 0; i < c->nfields; i++) {
    const struct schema_field *f = &c->fields[i];
    bool has = winner(r, f->name) != NULL;
    bool lacks = f->required && !has,
         exposed = f->personal && has && !consented;
    char q[SB_NAME_MAX + 3];
    if (!lacks && !exposed)
      continue; /* the usual case: nothing to name, no formatting */
    snprintf(q, sizeof(q), "\"%s\"", f->name);
    if (lacks) {
      schema_list_add(&missing, q);
      nmissing++;
    }
    if (exposed)
      schema_list_add(&personal, q);
  }
  if (missing.len == 0 && personal.len == 0)
    return 0;
  if (why == NULL || len == 0)
    return 1;
  /* In the reader's language: the dashboard's (its request's locale),
   * the CLI's. */
  n = 0;
  if (missing.len > 0)
    n = snprintf(why, len,
                 ngettext("missing required field %s",
                          "missing required fields %s", nmissing),
                 missing.s);
  if (personal.len > 0 && n >= 0 && (size_t)n < len) {
    int k = snprintf(why + n, len - (size_t)n, "%s", n > 0 ? "; " : "");
    if (k >= 0 && (size_t)(n + k) < len)
      snprintf(why + n + k, len - (size_t)(n + k),
               _("personal details (%s) held while \"%s\" is not true"),
               personal.s, c->consent);
  }
  return 1;
}
