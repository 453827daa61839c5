/*
 * filter.c - which records `list` shows.
 *
 * A filter compares the winner value of one field. Stored values are
 * canonical JSON text already, so a filter keeps its wanted value as
 * canonical text too and most records are matched with one strcmp; only
 * array values are parsed (to look at their elements).
 *
 * --where FIELD=VALUE (generic list): a string value matches when it is
 * VALUE; any other value matches when it equals VALUE read as JSON; an
 * array also matches when one of its elements does. The domain commands'
 * filters carry a value already converted by the schema: equal, or for a
 * list, holding every wanted element; a text field matches a record
 * whose value holds the text, ignoring case and accents (filter_text,
 * with SQLite's Unicode folding: common/textfold.c);
 * --month matches a date by its prefix (filter_prefix).
 */
#include "compat.h"

#include "cli.h"

#include "json.h"
#include "textfold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void filter_init(struct filter *f)
{
  memset(f, 0, sizeof(*f));
}

int filter_where(struct filter *f, const char *arg, struct sb_err *err)
{
  const char *eq = strchr(arg, '=');
  size_t n = eq != NULL ? (size_t)(eq - arg) : 0;
  cJSON *s, *j;

  filter_init(f);
  if (eq == NULL || n == 0 || n > SB_NAME_MAX)
    return util_usage(err,
                      "bad --where \"%.80s\": use --where FIELD=VALUE, e.g. "
                      "--where kecamatan=Pamulang",
                      arg);
  memcpy(f->field, arg, n);
  f->field[n] = '\0';
  if (!record_name_valid(f->field))
    return util_usage(err,
                      "bad --where \"%.80s\": \"%s\" is not a field name "
                      "(use letters, digits, '-' or '_')",
                      arg, f->field);
  f->mode = FILTER_WHERE;
  s = cJSON_CreateString(eq + 1);
  f->as_string = s != NULL ? cJSON_PrintUnformatted(s) : NULL;
  cJSON_Delete(s);
  if (f->as_string == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  /* VALUE need not be JSON: then it only matches strings. */
  j = json_parse(eq + 1, strlen(eq + 1), "VALUE", NULL);
  if (j != NULL && !cJSON_IsString(j)) {
    f->as_json = json_canon(j);
    if (f->as_json == NULL) {
      cJSON_Delete(j);
      return sb_err_set(err, SB_ENOMEM, NULL);
    }
  }
  cJSON_Delete(j);
  return 0;
}

/* schema_check_field of one reading of a --where VALUE (canonical JSON
 * text); a list field is checked on a list of that one element (the
 * filter matches an element). */
static int where_reading_check(const struct schema_collection *c,
                               const struct schema_field *sf,
                               const char *reading, struct sb_err *err)
{
  cJSON *v = cJSON_Parse(reading), *list = NULL;
  int rc;

  if (v == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (sf->type == SCHEMA_ENUM_LIST) {
    list = cJSON_CreateArray();
    if (list == NULL) {
      cJSON_Delete(v);
      return sb_err_set(err, SB_ENOMEM, NULL);
    }
    cJSON_AddItemToArray(list, v);
    v = list;
  }
  rc = schema_check_field(c, sf->name, v, err);
  cJSON_Delete(v);
  return rc;
}

int filter_where_check(const struct filter *f,
                       const struct schema_collection *c, struct sb_err *err)
{
  const struct schema_field *sf;

  if (f->mode != FILTER_WHERE || c == NULL || strcmp(f->field, "id") == 0)
    return 0;
  sf = schema_field(c, f->field);
  if (sf == NULL)
    return sb_err_set(err, SB_ESCHEMA,
                      "--where: %s has no field \"%s\" (see sambang %s "
                      "--help)",
                      c->name, f->field, c->name);
  /* VALUE matches as text or as JSON: either reading may be the one */
  if (f->as_json != NULL && where_reading_check(c, sf, f->as_json, NULL) == 0)
    return 0;
  return where_reading_check(c, sf, f->as_string, err);
}

int filter_value(struct filter *f, const char *field, const cJSON *value,
                 struct sb_err *err)
{
  cJSON *copy;

  filter_init(f);
  snprintf(f->field, sizeof(f->field), "%s", field);
  copy = cJSON_Duplicate(value, true);
  if (copy == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (cJSON_IsArray(copy)) {
    f->mode = FILTER_ALL;
    f->want = copy;
    return 0;
  }
  f->mode = FILTER_EQUAL;
  f->as_string = json_canon(copy);
  cJSON_Delete(copy);
  if (f->as_string == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

/* Case and accents folded the same way for records and the wanted text
 * (SQLite's Unicode tables: textfold.c). */
char *filter_fold(const char *s)
{
  return textfold(s);
}

int filter_text(struct filter *f, const char *field, const char *text,
                struct sb_err *err)
{
  filter_init(f);
  snprintf(f->field, sizeof(f->field), "%s", field);
  f->mode = FILTER_TEXT;
  f->as_string = filter_fold(text);
  return f->as_string == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
}

int filter_prefix(struct filter *f, const char *field, const char *prefix,
                  struct sb_err *err)
{
  filter_init(f);
  snprintf(f->field, sizeof(f->field), "%s", field);
  f->mode = FILTER_PREFIX;
  f->as_string = strdup(prefix);
  return f->as_string == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
}

/* The matchers below: 1 if the value matches, 0 if not, SB_ENOMEM if
 * it could not be read (never taken for "not": a list would leave the
 * record out without a word). */

/* A string value holding (TEXT) or starting with (PREFIX) as_string. */
static int text_match(const struct filter *f, const char *text)
{
  cJSON *v = NULL;
  char *folded;
  int ok = 0;

  if (text[0] != '"')
    return 0;
  if (json_parse_held(text, &v) != 0)
    return SB_ENOMEM;
  if (cJSON_IsString(v)) {
    if (f->mode == FILTER_PREFIX) {
      ok = strncmp(v->valuestring, f->as_string, strlen(f->as_string)) == 0;
    } else {
      folded = filter_fold(v->valuestring);
      ok = folded == NULL ? SB_ENOMEM : strstr(folded, f->as_string) != NULL;
      free(folded);
    }
  }
  cJSON_Delete(v);
  return ok;
}

/* --where on one canonical value (not looking inside arrays). */
static bool where_text(const struct filter *f, const char *text)
{
  if (text[0] == '"')
    return strcmp(text, f->as_string) == 0;
  return f->as_json != NULL && strcmp(text, f->as_json) == 0;
}

static int where_match(const struct filter *f, const char *text)
{
  cJSON *arr = NULL, *e;
  int found = 0;

  if (where_text(f, text))
    return 1;
  if (text[0] != '[')
    return 0;
  if (json_parse_held(text, &arr) != 0)
    return SB_ENOMEM;
  for (e = arr->child; e != NULL && found == 0; e = e->next) {
    char *t = cJSON_PrintUnformatted(e);
    found = t == NULL ? SB_ENOMEM : where_text(f, t);
    cJSON_free(t);
  }
  cJSON_Delete(arr);
  return found;
}

static int all_match(const struct filter *f, const char *text)
{
  cJSON *arr = NULL, *w, *e;
  bool ok = true;

  if (text[0] != '[')
    return 0;
  if (json_parse_held(text, &arr) != 0)
    return SB_ENOMEM;
  for (w = f->want->child; w != NULL && ok; w = w->next) {
    ok = false;
    for (e = arr->child; e != NULL && !ok; e = e->next)
      ok = cJSON_Compare(w, e, true);
  }
  cJSON_Delete(arr);
  return ok;
}

int filter_match(const struct filter *f, size_t n, const struct record *r)
{
  size_t i;
  for (i = 0; i < n; i++) {
    const struct field *fld = record_field(r, f[i].field);
    const char *text;
    int ok = 0;

    if (fld == NULL)
      return 0;
    text = record_field_winner(fld)->value;
    switch (f[i].mode) {
    case FILTER_WHERE:
      ok = where_match(&f[i], text);
      break;
    case FILTER_EQUAL:
      ok = strcmp(text, f[i].as_string) == 0;
      break;
    case FILTER_ALL:
      ok = all_match(&f[i], text);
      break;
    case FILTER_TEXT:
    case FILTER_PREFIX:
      ok = text_match(&f[i], text);
      break;
    }
    if (ok != 1)
      return ok;
  }
  return 1;
}

void filter_release(struct filter *f, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    if (f[i].mode == FILTER_TEXT || f[i].mode == FILTER_PREFIX)
      free(f[i].as_string);
    else
      cJSON_free(f[i].as_string);
    cJSON_free(f[i].as_json);
    cJSON_Delete(f[i].want);
    filter_init(&f[i]);
  }
}
