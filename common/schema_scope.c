/*
 * schema_scope.c - a collection's "scope" key (deploy/SCHEMA.md, "Scope"):
 * which field puts one of its records in a scope part ("scope":
 * "kecamatan", an enum field), or which ref it follows ("scope":
 * {"follows": "beneficiary"}: a visit is where its beneficiary is). The
 * rule that uses it is common/scope.c.
 */
#include "compat.h"

#include "schema_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int scope_err(struct sb_err *err, const char *where, const char *what)
{
  return sb_err_set(err, SB_ESCHEMA, "schema: %s: %s", where, what);
}

int schema_scope_parse(struct schema_collection *c, const cJSON *j,
                       const char *where, struct sb_err *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "scope");
  const struct schema_field *f;
  const cJSON *follows;

  if (v == NULL)
    return 0;
  if (cJSON_IsString(v)) {
    f = schema_field(c, v->valuestring);
    if (f == NULL || f->type != SCHEMA_ENUM)
      return scope_err(err, where,
                       "\"scope\" must name one of its enum fields (its "
                       "values are the scope parts devices are given)");
    c->scope_field = strdup(v->valuestring);
    return c->scope_field == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
  }
  follows = cJSON_GetObjectItemCaseSensitive(v, "follows");
  if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1 ||
      !cJSON_IsString(follows))
    return scope_err(err, where,
                     "\"scope\" must be a field name or {\"follows\": "
                     "REF_FIELD}");
  f = schema_field(c, follows->valuestring);
  if (f == NULL || f->type != SCHEMA_REF)
    return scope_err(err, where,
                     "\"scope\": \"follows\" must name one of its ref fields");
  c->scope_follows = strdup(follows->valuestring);
  return c->scope_follows == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
}

int schema_scope_check(const struct schema *s, struct sb_err *err)
{
  size_t i;

  for (i = 0; i < s->nc; i++) {
    const struct schema_collection *c = &s->c[i], *to;
    const struct schema_field *f;
    char where[128];

    if (c->scope_follows == NULL)
      continue;
    f = schema_field(c, c->scope_follows);
    to = schema_collection(s, f->ref);
    snprintf(where, sizeof(where), "collection \"%s\"", c->name);
    if (to == NULL || to->scope_field == NULL)
      return scope_err(err, where,
                       "\"scope\" follows a ref to a collection without a "
                       "scope field of its own");
  }
  return 0;
}
