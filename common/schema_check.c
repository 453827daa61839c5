/*
 * schema_check.c - checking values against the schema (see schema.h).
 *
 * One value checker serves both writes (messages name the field) and CLI
 * arguments turned into values (messages name the option). A collection
 * the schema does not define (c == NULL) is free-form: its checks pass.
 */
#include "compat.h"

#include "schema_int.h"

#include "date.h"
#include "i18n.h"
#include "json.h"
#include "record.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- checking values --------------------------------------------------- */

/*
 * Matches the string item against f's values; a case-insensitive match is
 * rewritten to the schema's spelling. 0, SB_ESCHEMA or SB_ENOMEM.
 */
static int match_enum(const struct schema_field *f, cJSON *item,
                      const char *what, struct sb_err *err)
{
  char shown[SHOW_MAX + 8];
  struct list l;
  size_t i;

  if (cJSON_IsString(item)) {
    for (i = 0; i < f->nvalues; i++) {
      if (strcmp(item->valuestring, f->values[i]) == 0)
        return 0;
    }
    for (i = 0; i < f->nvalues; i++) {
      if (schema_ascii_ieq(item->valuestring, f->values[i])) {
        if (cJSON_SetValuestring(item, f->values[i]) == NULL)
          return sb_err_set(err, SB_ENOMEM, NULL);
        return 0;
      }
    }
  }
  schema_show_value(item, shown, sizeof(shown));
  schema_list_values(f, &l);
  return sb_err_set(err, SB_ESCHEMA, "%s: %s is not allowed (allowed: %s)",
                    what, shown, l.s);
}

/* True if v passes f without a message to build: the common case of
 * every type but the enums (which may respell v). */
static bool value_plainly_ok(const struct schema_field *f, const cJSON *v)
{
  switch (f->type) {
  case SCHEMA_STRING:
    return cJSON_IsString(v) && strlen(v->valuestring) <= (size_t)f->max;
  case SCHEMA_BOOL:
    return cJSON_IsBool(v);
  case SCHEMA_INT:
    return json_is_int(v, f->min, f->max);
  case SCHEMA_DATE:
    return cJSON_IsString(v) && schema_date_valid(v->valuestring);
  case SCHEMA_REF:
    return cJSON_IsString(v) && record_id_valid(v->valuestring);
  case SCHEMA_ENUM:
  case SCHEMA_ENUM_LIST:
    break;
  }
  return false;
}

bool schema_value_text_ok(const struct schema_collection *c, const char *name,
                          const char *text)
{
  const struct schema_field *f = c != NULL ? schema_field(c, name) : NULL;
  char s[512];
  cJSON v;
  size_t i;

  if (f == NULL)
    return false;
  /* A node of our own on the stack: value_plainly_ok only reads it. */
  memset(&v, 0, sizeof(v));
  if (strcmp(text, "true") == 0)
    v.type = cJSON_True;
  else if (strcmp(text, "false") == 0)
    v.type = cJSON_False;
  else if (json_plain_string(text, s, sizeof(s))) {
    v.type = cJSON_String;
    v.valuestring = s;
  } else {
    return false;
  }
  if (f->type == SCHEMA_ENUM) {
    for (i = 0; v.type == cJSON_String && i < f->nvalues; i++)
      if (strcmp(s, f->values[i]) == 0)
        return true;
    return false;
  }
  return value_plainly_ok(f, &v);
}

/*
 * Checks the non-null value v against f. what names the value for people
 * ("field \"x\"" or "option --x"). May rewrite enum spellings in v.
 */
static int check_value(const struct schema_field *f, cJSON *v, const char *what,
                       struct sb_err *err)
{
  char shown[SHOW_MAX + 8];
  struct list l;
  cJSON *item, *prev;
  int rc;

  /* The common case first; the value is printed only for a message. */
  if (value_plainly_ok(f, v))
    return 0;
  if (f->type == SCHEMA_ENUM)
    return match_enum(f, v, what, err);
  if (f->type == SCHEMA_ENUM_LIST && cJSON_IsArray(v) && v->child != NULL) {
    for (item = v->child; item != NULL; item = item->next) {
      rc = match_enum(f, item, what, err);
      if (rc != 0)
        return rc;
      for (prev = v->child; prev != item; prev = prev->next) {
        if (strcmp(prev->valuestring, item->valuestring) == 0) {
          schema_show_value(item, shown, sizeof(shown));
          return sb_err_set(err, SB_ESCHEMA, "%s: %s is listed twice", what,
                            shown);
        }
      }
    }
    return 0;
  }

  schema_show_value(v, shown, sizeof(shown));
  switch (f->type) {
  case SCHEMA_STRING:
    if (!cJSON_IsString(v))
      return sb_err_set(err, SB_ESCHEMA, "%s: expected text, got %s", what,
                        shown);
    return sb_err_set(err, SB_ESCHEMA,
                      "%s: %s is too long (%zu bytes, at most %lld)", what,
                      shown, strlen(v->valuestring), (long long)f->max);
  case SCHEMA_BOOL:
    return sb_err_set(err, SB_ESCHEMA, "%s: expected true or false, got %s",
                      what, shown);
  case SCHEMA_INT:
    if (f->min == -INT_LIMIT && f->max == INT_LIMIT)
      return sb_err_set(err, SB_ESCHEMA, "%s: expected a whole number, got %s",
                        what, shown);
    return sb_err_set(err, SB_ESCHEMA,
                      "%s: expected a whole number from %lld to %lld, got %s",
                      what, (long long)f->min, (long long)f->max, shown);
  case SCHEMA_DATE:
    return sb_err_set(err, SB_ESCHEMA, "%s: expected a date YYYY-MM-DD, got %s",
                      what, shown);
  case SCHEMA_ENUM_LIST:
    schema_list_values(f, &l);
    return sb_err_set(err, SB_ESCHEMA,
                      "%s: expected a non-empty list of values (allowed: %s), "
                      "got %s",
                      what, l.s, shown);
  case SCHEMA_REF:
    return sb_err_set(err, SB_ESCHEMA,
                      "%s: expected the id of a %s record, got %s", what,
                      f->ref, shown);
  case SCHEMA_ENUM:
    break;
  }
  return sb_err_set(err, SB_EINTERNAL, "%s: unknown schema type", what);
}

int schema_check_field(const struct schema_collection *c, const char *name,
                       cJSON *v, struct sb_err *err)
{
  const struct schema_field *f;
  char what[SB_NAME_MAX + 16];

  if (c == NULL)
    return 0;
  f = schema_field(c, name);
  if (f == NULL) {
    char q[96];
    struct list l = {.len = 0};
    size_t i;
    for (i = 0; i < c->nfields; i++)
      schema_list_add(&l, c->fields[i].name);
    schema_quote_name(name, q, sizeof(q));
    return sb_err_set(err, SB_ESCHEMA,
                      "unknown field %s in collection %s (known: %s)", q,
                      c->name, l.s);
  }
  if (cJSON_IsNull(v)) {
    if (f->required)
      return sb_err_set(err, SB_ESCHEMA,
                        "field \"%s\" is required in %s: it cannot be "
                        "cleared (null)",
                        f->name, c->name);
    return 0;
  }
  if (value_plainly_ok(f, v))
    return 0;
  snprintf(what, sizeof(what), "field \"%s\"", f->name);
  return check_value(f, v, what, err);
}

int schema_check_write(const struct schema_collection *c, cJSON *fields,
                       struct sb_err *err)
{
  cJSON *m;
  int rc;

  if (c == NULL)
    return 0;
  if (!cJSON_IsObject(fields))
    return sb_err_set(err, SB_ESCHEMA,
                      "the fields of a %s record must be a JSON object",
                      c->name);
  for (m = fields->child; m != NULL; m = m->next) {
    rc = schema_check_field(c, m->string, m, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

int schema_check_record(const struct schema_collection *c, const cJSON *values,
                        struct sb_err *err)
{
  struct list personal = {.len = 0};
  const cJSON *v;
  size_t i;

  if (c == NULL)
    return 0;
  if (values != NULL && !cJSON_IsObject(values))
    return sb_err_set(err, SB_EINVAL,
                      "the values of a %s record must be a "
                      "JSON object",
                      c->name);
  for (i = 0; i < c->nfields; i++) {
    const struct schema_field *f = &c->fields[i];
    v = cJSON_GetObjectItemCaseSensitive(values, f->name);
    if (f->required && (v == NULL || cJSON_IsNull(v)))
      return sb_err_set(err, SB_ESCHEMA, "missing required field \"%s\" in %s",
                        f->name, c->name);
    if (f->personal && v != NULL && !cJSON_IsNull(v))
      schema_list_add(&personal, f->name);
  }
  if (c->consent != NULL && personal.len > 0) {
    v = cJSON_GetObjectItemCaseSensitive(values, c->consent);
    if (!cJSON_IsTrue(v))
      return sb_err_set(err, SB_ESCHEMA,
                        "%s required before personal details (%s) are "
                        "stored: set %s to true",
                        c->consent, personal.s, c->consent);
  }
  return 0;
}

/* --- CLI arguments ----------------------------------------------------- */

/* yes/no words people type, in English and Indonesian. */
static int parse_bool(const char *arg, bool *out)
{
  static const char *const yes[] = {"yes", "true", "1", "ya", NULL};
  static const char *const no[] = {"no", "false", "0", "tidak", NULL};
  size_t i;
  for (i = 0; yes[i] != NULL; i++) {
    if (schema_ascii_ieq(arg, yes[i])) {
      *out = true;
      return 0;
    }
  }
  for (i = 0; no[i] != NULL; i++) {
    if (schema_ascii_ieq(arg, no[i])) {
      *out = false;
      return 0;
    }
  }
  return -1;
}

/* Strict decimal integer: optional '-', digits, nothing else. */
static int parse_int(const char *arg, int64_t *out)
{
  const char *p = arg[0] == '-' ? arg + 1 : arg;
  char *end;
  long long n;
  if (*p == '\0')
    return -1;
  for (; *p != '\0'; p++) {
    if (*p < '0' || *p > '9')
      return -1;
  }
  errno = 0;
  n = strtoll(arg, &end, 10);
  if (errno != 0 || *end != '\0' || n < -INT_LIMIT || n > INT_LIMIT)
    return -1;
  *out = n;
  return 0;
}

/* "a, b ,c" -> ["a","b","c"]; NULL with err on an empty item. */
static cJSON *split_list(const char *arg, const char *what, struct sb_err *err)
{
  cJSON *arr = cJSON_CreateArray();
  const char *p = arg;

  if (arr == NULL)
    goto nomem;
  for (;;) {
    const char *comma = strchr(p, ',');
    const char *end = comma != NULL ? comma : p + strlen(p);
    char item[SHOW_MAX + 8], *copy;
    cJSON *s;
    size_t len;

    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    len = (size_t)(end - p);
    if (len == 0) {
      schema_show_text(arg, item, sizeof(item));
      sb_err_set(err, SB_ESCHEMA, "%s: empty value in %s", what, item);
      cJSON_Delete(arr);
      return NULL;
    }
    copy = malloc(len + 1);
    if (copy == NULL)
      goto nomem;
    memcpy(copy, p, len);
    copy[len] = '\0';
    s = cJSON_CreateString(copy);
    free(copy);
    if (s == NULL)
      goto nomem;
    cJSON_AddItemToArray(arr, s);
    if (comma == NULL)
      return arr;
    p = comma + 1;
  }

nomem:
  cJSON_Delete(arr);
  sb_err_set(err, SB_ENOMEM, NULL);
  return NULL;
}

cJSON *schema_value_from_arg(const struct schema_field *f, const char *arg,
                             struct sb_err *err)
{
  char what[SB_NAME_MAX + 16], shown[SHOW_MAX + 8];
  cJSON *v = NULL;
  bool b;
  int64_t n;

  if (f == NULL || arg == NULL) {
    sb_err_set(err, SB_EINVAL, "no field or value given");
    return NULL;
  }
  snprintf(what, sizeof(what), i18n_text("option --%s"), f->option);
  if (!utf8_valid(arg, strlen(arg))) {
    sb_err_set(err, SB_ESCHEMA, "%s: the value is not valid UTF-8", what);
    return NULL;
  }
  switch (f->type) {
  case SCHEMA_BOOL:
    if (parse_bool(arg, &b) != 0) {
      schema_show_text(arg, shown, sizeof(shown));
      sb_err_set(err, SB_ESCHEMA,
                 "%s: expected yes or no (or true/false, 1/0, ya/tidak), "
                 "got %s",
                 what, shown);
      return NULL;
    }
    v = cJSON_CreateBool(b);
    break;
  case SCHEMA_INT:
    if (parse_int(arg, &n) != 0) {
      schema_show_text(arg, shown, sizeof(shown));
      sb_err_set(err, SB_ESCHEMA, "%s: expected a whole number, got %s", what,
                 shown);
      return NULL;
    }
    v = cJSON_CreateNumber((double)n);
    break;
  case SCHEMA_ENUM_LIST:
    v = split_list(arg, what, err);
    if (v == NULL)
      return NULL;
    break;
  case SCHEMA_DATE: {
    char day[DATE_SIZE];
    if (date_from_text(arg, time(NULL), day) != 0) {
      schema_show_text(arg, shown, sizeof(shown));
      sb_err_set(err, SB_ESCHEMA,
                 "%s: expected a date YYYY-MM-DD or DD/MM/YYYY (or today, "
                 "yesterday, hari ini, kemarin), got %s; e.g. 2026-11-05",
                 what, shown);
      return NULL;
    }
    v = cJSON_CreateString(day);
    break;
  }
  case SCHEMA_STRING:
  case SCHEMA_ENUM:
  case SCHEMA_REF:
    v = cJSON_CreateString(arg);
    break;
  }
  if (v == NULL) {
    sb_err_set(err, SB_ENOMEM, NULL);
    return NULL;
  }
  if (check_value(f, v, what, err) != 0) {
    cJSON_Delete(v);
    return NULL;
  }
  return v;
}
