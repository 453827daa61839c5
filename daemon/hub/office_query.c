/*
 * office_query.c - the office API's query parameters, checked before any
 * is used: a number out of its range, a date that does not exist, a flag
 * other than 0 or 1 or a sort by a field the collection lacks is a 400
 * naming the parameter, never a default quietly put in its place.
 */
#include "compat.h"

#include "office_int.h"

#include "date.h"

#include <stdlib.h>
#include <string.h>

/* The numbers, 1 to max; absent: the caller's default. */
static const struct {
  enum office_query q;
  const char *name;
  unsigned max;
} numbers[] = {
    {OFFICE_Q_PAGE, "page", OFFICE_PAGE_LAST},
    {OFFICE_Q_LIMIT, "limit", OFFICE_PAGE_MAX},
    {OFFICE_Q_STALE_DAYS, "stale_days", OFFICE_STALE_DAYS_MAX},
};

static const struct {
  enum office_query q;
  const char *name;
} flags[] = {{OFFICE_Q_CONFLICT, "conflict"},
             {OFFICE_Q_REVIEW, "review"},
             {OFFICE_Q_DESC, "desc"},
             {OFFICE_Q_PERSONAL, "personal"}};

static const struct {
  enum office_query q;
  const char *name;
} dates[] = {{OFFICE_Q_FROM, "from"}, {OFFICE_Q_TO, "to"}};

int office_filter_check(const struct schema *s, const struct office_filter *f,
                        struct sb_err *err)
{
  /* The filters on a field's values: the filter's name, the field's. */
  const struct {
    const char *name, *field, *value;
  } filters[] = {{"kecamatan", "kecamatan", f->kecamatan},
                 {"group", "groups", f->group},
                 {"programme", "programme", f->programme}};
  size_t k, c, i;

  for (k = 0; k < sizeof(filters) / sizeof(filters[0]); k++) {
    const char *v = filters[k].value;
    const struct schema_field *first = NULL;
    bool exists = false, known = false;
    char allowed[400];

    if (v == NULL)
      continue;
    for (c = 0; c < s->nc && !known; c++) {
      const struct schema_field *fld = schema_field(&s->c[c], filters[k].field);
      if (fld == NULL)
        continue;
      exists = true;
      if (fld->type != SCHEMA_ENUM && fld->type != SCHEMA_ENUM_LIST) {
        known = true; /* free text: any value may match */
        break;
      }
      if (first == NULL)
        first = fld;
      for (i = 0; i < fld->nvalues && !known; i++)
        known = strcmp(fld->values[i], v) == 0;
    }
    if (!exists)
      return sb_err_set(err, SB_EINVAL,
                        "%s: the schema has no field \"%s\" to filter on",
                        filters[k].name, filters[k].field);
    if (!known) {
      schema_values_text(first, allowed, sizeof(allowed));
      return sb_err_set(err, SB_EINVAL,
                        "%s: \"%.64s\" is not a value of the schema (one "
                        "of: %s)",
                        filters[k].name, v, allowed);
    }
  }
  return 0;
}

/* True if v is a decimal number from 1 to max (digits only). */
static bool number_ok(const char *v, unsigned max)
{
  unsigned long n = 0;
  const char *p;

  for (p = v; *p >= '0' && *p <= '9'; p++) {
    n = n * 10 + (unsigned long)(*p - '0');
    if (n > max)
      return false;
  }
  return *p == '\0' && p != v && n >= 1;
}

bool office_query_ok(struct hub_call *c, const char *collection)
{
  const struct schema_collection *sc =
      collection != NULL
          ? schema_collection(hub_store_schema(c->hs), collection)
          : NULL;
  const char *v;
  size_t i;

  for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
    if ((v = office_q(c, numbers[i].q)) != NULL &&
        !number_ok(v, numbers[i].max)) {
      office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                         "%s must be a whole number from 1 to %u, got "
                         "\"%.40s\"",
                         numbers[i].name, numbers[i].max, v);
      return false;
    }
  for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
    if ((v = office_q(c, flags[i].q)) != NULL && strcmp(v, "0") != 0 &&
        strcmp(v, "1") != 0) {
      office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                         "%s must be 0 or 1, got \"%.40s\"", flags[i].name, v);
      return false;
    }
  for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
    if ((v = office_q(c, dates[i].q)) != NULL && !date_valid(v)) {
      office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                         "%s must be a date YYYY-MM-DD that exists, got "
                         "\"%.40s\"",
                         dates[i].name, v);
      return false;
    }
  {
    struct office_filter f = {.kecamatan = office_q(c, OFFICE_Q_KECAMATAN),
                              .group = office_q(c, OFFICE_Q_GROUP),
                              .programme = office_q(c, OFFICE_Q_PROGRAMME)};
    struct sb_err err = {0};
    if (office_filter_check(hub_store_schema(c->hs), &f, &err) != 0) {
      office_reply_error(c, OFFICE_ERR_BAD_REQUEST, "%s", err.msg);
      return false;
    }
  }
  v = office_q(c, OFFICE_Q_SORT);
  if (v != NULL && sc != NULL && strcmp(v, "id") != 0 &&
      schema_field(sc, v) == NULL) {
    office_reply_error(c, OFFICE_ERR_BAD_REQUEST,
                       "sort: %.64s has no field \"%.64s\"", collection, v);
    return false;
  }
  return true;
}

unsigned office_query_num(const struct hub_call *c, enum office_query q,
                          unsigned def)
{
  const char *v = office_q(c, q);

  return v != NULL ? (unsigned)strtoul(v, NULL, 10) : def;
}
