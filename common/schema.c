/*
 * schema.c - the outreach data schema (see schema.h; the file format is
 * explained for office staff in deploy/SCHEMA.md).
 *
 * schema_parse turns the office's JSON into plain structs once and refuses
 * anything it does not understand: a typo such as "requried" must not
 * silently switch a check off. Fields and collections keep the order of
 * the file, which is the order people see in help and messages.
 *
 * Checking values against the parsed schema is schema_check.c; the
 * helpers that quote names and values in messages are schema_text.c.
 */
#include "compat.h"

#include "schema_int.h"

#include "i18n.h"
#include "json.h"
#include "record.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 1
/* Default and largest "max" of a string field, in bytes. */
#define STRING_MAX_DEFAULT 4000
#define STRING_MAX_LIMIT SB_RECORD_MAX

static const char *const type_names[] = {
    [SCHEMA_STRING] = "string", [SCHEMA_BOOL] = "bool",
    [SCHEMA_INT] = "int",       [SCHEMA_DATE] = "date",
    [SCHEMA_ENUM] = "enum",     [SCHEMA_ENUM_LIST] = "enum_list",
    [SCHEMA_REF] = "ref"};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char *const top_keys[] = {"version", "collections", "help", NULL};
static const char *const collection_keys[] = {
    "help", "title", "consent", "label", "fields", "scope", NULL};
static const char *const field_keys[] = {
    "type", "required", "personal", "option", "help",   "title",
    "max",  "min",      "values",   "ref",    "labels", NULL};

/* --- parsing the schema ------------------------------------------------ */

/* SB_ESCHEMA with "schema: <where>: <fmt...>", fmt translated (i18n.h). */
static int schema_err(struct sb_err *err, const char *where, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static int schema_err(struct sb_err *err, const char *where, const char *fmt,
                      ...)
{
  char msg[SB_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), i18n_text(fmt), ap);
  va_end(ap);
  if (where[0] == '\0')
    return sb_err_set(err, SB_ESCHEMA, "schema: %s", msg);
  return sb_err_set(err, SB_ESCHEMA, "schema: %s: %s", where, msg);
}

/* The first key that appears twice in obj, or NULL. */
static const char *dup_key(const cJSON *obj)
{
  const cJSON *a, *b;
  for (a = obj->child; a != NULL; a = a->next) {
    for (b = a->next; b != NULL; b = b->next) {
      if (strcmp(a->string, b->string) == 0)
        return a->string;
    }
  }
  return NULL;
}

/* Refuses duplicate keys and keys not in `known` in the object obj. */
static int check_keys(const cJSON *obj, const char *const *known,
                      const char *where, struct sb_err *err)
{
  const cJSON *m;
  const char *dup = dup_key(obj);
  char q[96];

  if (dup != NULL) {
    schema_quote_name(dup, q, sizeof(q));
    return schema_err(err, where, "%s is given twice", q);
  }
  for (m = obj->child; m != NULL; m = m->next) {
    struct list l = {.len = 0};
    size_t i;
    bool ok = false;
    for (i = 0; known[i] != NULL; i++) {
      schema_list_add(&l, known[i]);
      if (strcmp(m->string, known[i]) == 0)
        ok = true;
    }
    if (!ok) {
      schema_quote_name(m->string, q, sizeof(q));
      return schema_err(err, where, "unknown key %s (known keys: %s)", q, l.s);
    }
  }
  return 0;
}

/* A malloc'd copy of the string member key of obj, or NULL if absent. */
static int get_string(const cJSON *obj, const char *key, char **out,
                      const char *where, struct sb_err *err)
{
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = NULL;
  if (j == NULL)
    return 0;
  if (!cJSON_IsString(j))
    return schema_err(err, where, "\"%s\" must be a string", key);
  *out = strdup(j->valuestring);
  if (*out == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  return 0;
}

/* The bool member key of obj (false if absent). */
static int get_bool(const cJSON *obj, const char *key, bool *out,
                    const char *where, struct sb_err *err)
{
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = false;
  if (j == NULL)
    return 0;
  if (!cJSON_IsBool(j))
    return schema_err(err, where, "\"%s\" must be true or false", key);
  *out = cJSON_IsTrue(j);
  return 0;
}

/* The integer member key of obj in [min, max] (*out unchanged if absent). */
static int get_int(const cJSON *obj, const char *key, int64_t min, int64_t max,
                   int64_t *out, const char *where, struct sb_err *err)
{
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (j == NULL)
    return 0;
  if (!json_is_int(j, min, max))
    return schema_err(err, where,
                      "\"%s\" must be a whole number from %lld to %lld", key,
                      (long long)min, (long long)max);
  *out = (int64_t)j->valuedouble;
  return 0;
}

/* Reads "values" of an enum or enum_list field. */
static int parse_values(struct schema_field *f, const cJSON *obj,
                        const char *where, struct sb_err *err)
{
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "values");
  const cJSON *v;
  size_t i, n;

  if (arr == NULL)
    return schema_err(err, where,
                      "an %s needs \"values\" (a list of the "
                      "allowed values)",
                      type_names[f->type]);
  n = (size_t)cJSON_GetArraySize(arr);
  if (!cJSON_IsArray(arr) || n == 0)
    return schema_err(err, where,
                      "\"values\" must be a non-empty list of strings");
  f->values = calloc(n, sizeof(*f->values));
  if (f->values == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (v = arr->child; v != NULL; v = v->next) {
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    size_t len = s != NULL ? strlen(s) : 0;
    char shown[SHOW_MAX + 8];

    schema_show_value(v, shown, sizeof(shown));
    if (s == NULL || len == 0)
      return schema_err(err, where,
                        "\"values\" must be non-empty strings, not %s", shown);
    if (s[0] == ' ' || s[len - 1] == ' ')
      return schema_err(err, where, "value %s starts or ends with a space",
                        shown);
    for (i = 0; i < len; i++) {
      if ((unsigned char)s[i] < 0x20)
        return schema_err(err, where, "value %s contains a control character",
                          shown);
    }
    /* The CLI splits an enum_list option at commas. */
    if (f->type == SCHEMA_ENUM_LIST && strchr(s, ',') != NULL)
      return schema_err(err, where,
                        "value %s of an enum_list must not contain a comma",
                        shown);
    /* Values match case-insensitively, so they must differ that way. */
    for (i = 0; i < f->nvalues; i++) {
      if (schema_ascii_ieq(f->values[i], s))
        return schema_err(err, where,
                          "value %s is listed twice (values are matched "
                          "ignoring upper/lower case)",
                          shown);
    }
    f->values[f->nvalues] = strdup(s);
    if (f->values[f->nvalues] == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
    f->nvalues++;
  }
  return 0;
}

/* The field's CLI option: given, or its name with '_' as '-'. */
static int parse_option(struct schema_field *f, const char *where,
                        struct sb_err *err)
{
  char q[96];

  if (f->option == NULL) {
    char *p;
    f->option = strdup(f->name);
    if (f->option == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
    for (p = f->option; *p != '\0'; p++) {
      if (*p == '_')
        *p = '-';
    }
  } else if (!record_name_valid(f->option)) {
    schema_quote_name(f->option, q, sizeof(q));
    return schema_err(err, where,
                      "bad option %s (use 1-%d letters, digits, '-' or '_')", q,
                      SB_NAME_MAX);
  }
  return 0;
}

/* The keys that belong to f's type (min, max, values, ref), and only those. */
static int parse_type_keys(struct schema_field *f, const cJSON *j,
                           const char *where, struct sb_err *err)
{
  char q[96];
  int rc;

  /* Keys that only some types take: refuse them elsewhere (a mistake). */
  if (f->type != SCHEMA_ENUM && f->type != SCHEMA_ENUM_LIST &&
      cJSON_HasObjectItem(j, "values"))
    return schema_err(err, where, "\"values\" is only for enum and enum_list");
  if (f->type != SCHEMA_REF && cJSON_HasObjectItem(j, "ref"))
    return schema_err(err, where, "\"ref\" is only for ref");
  if (f->type != SCHEMA_INT && cJSON_HasObjectItem(j, "min"))
    return schema_err(err, where, "\"min\" is only for int");
  if (f->type != SCHEMA_INT && f->type != SCHEMA_STRING &&
      cJSON_HasObjectItem(j, "max"))
    return schema_err(err, where, "\"max\" is only for string and int");

  switch (f->type) {
  case SCHEMA_STRING:
    f->min = 0;
    f->max = STRING_MAX_DEFAULT;
    return get_int(j, "max", 1, STRING_MAX_LIMIT, &f->max, where, err);
  case SCHEMA_INT:
    f->min = -INT_LIMIT;
    f->max = INT_LIMIT;
    if ((rc = get_int(j, "min", -INT_LIMIT, INT_LIMIT, &f->min, where, err)) !=
            0 ||
        (rc = get_int(j, "max", -INT_LIMIT, INT_LIMIT, &f->max, where, err)) !=
            0)
      return rc;
    if (f->min > f->max)
      return schema_err(err, where, "\"min\" is greater than \"max\"");
    return 0;
  case SCHEMA_ENUM:
  case SCHEMA_ENUM_LIST:
    return parse_values(f, j, where, err);
  case SCHEMA_REF:
    rc = get_string(j, "ref", &f->ref, where, err);
    if (rc != 0)
      return rc;
    if (f->ref == NULL)
      return schema_err(err, where,
                        "a ref needs \"ref\" (the collection "
                        "whose record ids it holds)");
    if (!record_name_valid(f->ref)) {
      schema_quote_name(f->ref, q, sizeof(q));
      return schema_err(err, where, "\"ref\" names a bad collection %s", q);
    }
    return 0;
  case SCHEMA_BOOL:
  case SCHEMA_DATE:
    return 0;
  }
  return 0;
}

/* Reads one field definition (f is zeroed; filled even on error). */
static int parse_field(struct schema_field *f, const char *coll, const cJSON *j,
                       struct sb_err *err)
{
  char where[160], q[96];
  const cJSON *type;
  size_t t;
  int rc;

  schema_quote_name(j->string, q, sizeof(q));
  snprintf(where, sizeof(where), _("collection \"%s\", field %s"), coll, q);
  f->name = strdup(j->string);
  if (f->name == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (!record_name_valid(j->string))
    return schema_err(err, where,
                      "bad field name (use 1-%d letters, digits, '-' or '_')",
                      SB_NAME_MAX);
  if (!cJSON_IsObject(j))
    return schema_err(err, where,
                      "a field must be an object such as "
                      "{\"type\": \"string\"}");
  rc = check_keys(j, field_keys, where, err);
  if (rc != 0)
    return rc;

  type = cJSON_GetObjectItemCaseSensitive(j, "type");
  if (type == NULL)
    return schema_err(err, where, "\"type\" is missing");
  for (t = 0; t < NTYPES; t++) {
    if (cJSON_IsString(type) && strcmp(type->valuestring, type_names[t]) == 0)
      break;
  }
  if (t == NTYPES) {
    char shown[SHOW_MAX + 8];
    schema_show_value(type, shown, sizeof(shown));
    return schema_err(err, where,
                      "unknown type %s (use string, bool, int, date, enum, "
                      "enum_list or ref)",
                      shown);
  }
  f->type = (enum schema_type)t;

  if ((rc = get_bool(j, "required", &f->required, where, err)) != 0 ||
      (rc = get_bool(j, "personal", &f->personal, where, err)) != 0 ||
      (rc = schema_help_parse(&f->help, j, where, err)) != 0 ||
      (rc = schema_title_parse(&f->title, j, where, err)) != 0 ||
      (rc = get_string(j, "option", &f->option, where, err)) != 0)
    return rc;

  rc = parse_option(f, where, err);
  if (rc == 0)
    rc = parse_type_keys(f, j, where, err);
  if (rc == 0)
    rc = schema_labels_parse(f, j, where, err);
  return rc;
}

/* Reads one collection (c is zeroed; filled even on error). */
static int parse_collection(struct schema_collection *c, const cJSON *j,
                            struct sb_err *err)
{
  char where[128], q[96];
  const cJSON *fields, *m;
  size_t i, k, n;
  int rc;

  schema_quote_name(j->string, q, sizeof(q));
  snprintf(where, sizeof(where), _("collection %s"), q);
  c->name = strdup(j->string);
  if (c->name == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  if (!record_name_valid(c->name))
    return schema_err(err, where,
                      "bad collection name (use 1-%d letters, digits, '-' or "
                      "'_')",
                      SB_NAME_MAX);
  if (!cJSON_IsObject(j))
    return schema_err(err, where,
                      "a collection must be an object with "
                      "\"fields\"");
  if ((rc = check_keys(j, collection_keys, where, err)) != 0 ||
      (rc = schema_help_parse(&c->help, j, where, err)) != 0 ||
      (rc = schema_title_parse(&c->title, j, where, err)) != 0 ||
      (rc = get_string(j, "consent", &c->consent, where, err)) != 0 ||
      (rc = get_string(j, "label", &c->label, where, err)) != 0)
    return rc;

  fields = cJSON_GetObjectItemCaseSensitive(j, "fields");
  if (!cJSON_IsObject(fields) || fields->child == NULL)
    return schema_err(err, where,
                      "\"fields\" must be an object with at "
                      "least one field");
  if (dup_key(fields) != NULL) {
    schema_quote_name(dup_key(fields), q, sizeof(q));
    return schema_err(err, where, "field %s is defined twice", q);
  }
  n = (size_t)cJSON_GetArraySize(fields);
  c->fields = calloc(n, sizeof(*c->fields));
  if (c->fields == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (m = fields->child; m != NULL; m = m->next) {
    rc = parse_field(&c->fields[c->nfields++], c->name, m, err);
    if (rc != 0)
      return rc;
  }

  for (i = 0; i < c->nfields; i++) {
    for (k = 0; k < i; k++) {
      if (strcmp(c->fields[i].option, c->fields[k].option) == 0)
        return schema_err(err, where,
                          "fields \"%s\" and \"%s\" have the same option "
                          "\"%s\"",
                          c->fields[k].name, c->fields[i].name,
                          c->fields[i].option);
    }
  }

  if (c->consent != NULL) {
    const struct schema_field *f = schema_field(c, c->consent);
    schema_quote_name(c->consent, q, sizeof(q));
    if (f == NULL)
      return schema_err(err, where,
                        "\"consent\" names %s, which is not one "
                        "of its fields",
                        q);
    if (f->type != SCHEMA_BOOL)
      return schema_err(err, where,
                        "\"consent\" names %s, which is not a bool field", q);
    if (f->personal)
      return schema_err(err, where,
                        "the consent field %s cannot itself be personal", q);
  }
  if (c->label != NULL) {
    const struct schema_field *f = schema_field(c, c->label);
    schema_quote_name(c->label, q, sizeof(q));
    if (f == NULL || f->type != SCHEMA_STRING)
      return schema_err(err, where,
                        "\"label\" names %s, which is not one of its "
                        "string fields",
                        q);
  }
  return schema_scope_parse(c, j, where, err);
}

/* Builds s from the parsed schema j. */
static int schema_build(struct schema *s, const cJSON *j, struct sb_err *err)
{
  const cJSON *version, *colls, *m;
  size_t n;
  int rc;

  if (!cJSON_IsObject(j))
    return schema_err(err, "",
                      "the schema must be a JSON object such as "
                      "{\"version\": 1, \"collections\": {...}}");
  rc = check_keys(j, top_keys, "", err);
  if (rc != 0)
    return rc;
  version = cJSON_GetObjectItemCaseSensitive(j, "version");
  if (version == NULL)
    return schema_err(err, "", "\"version\" is missing (use \"version\": %d)",
                      SCHEMA_VERSION);
  if (!json_is_int(version, SCHEMA_VERSION, SCHEMA_VERSION)) {
    char shown[SHOW_MAX + 8];
    schema_show_value(version, shown, sizeof(shown));
    return schema_err(err, "",
                      "version %s is not supported (this sambang reads "
                      "version %d)",
                      shown, SCHEMA_VERSION);
  }
  if (cJSON_HasObjectItem(j, "help") &&
      !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "help")))
    return schema_err(err, "", "\"help\" must be a string");
  colls = cJSON_GetObjectItemCaseSensitive(j, "collections");
  if (!cJSON_IsObject(colls))
    return schema_err(err, "", "\"collections\" must be an object");
  {
    const char *dup = dup_key(colls);
    if (dup != NULL) {
      char q[96];
      schema_quote_name(dup, q, sizeof(q));
      return schema_err(err, "", "collection %s is defined twice", q);
    }
  }
  n = (size_t)cJSON_GetArraySize(colls);
  s->c = calloc(n > 0 ? n : 1, sizeof(*s->c));
  if (s->c == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (m = colls->child; m != NULL; m = m->next) {
    rc = parse_collection(&s->c[s->nc++], m, err);
    if (rc != 0)
      return rc;
  }
  return schema_scope_check(s, err);
}

/* A JSON syntax error at `at`, by line and column (people edit the file). */
static int syntax_err(const char *text, size_t len, const char *at,
                      struct sb_err *err)
{
  size_t line = 1, col = 1;
  const char *p;
  if (at == NULL || at < text || at > text + len)
    return schema_err(err, "", "the file is not valid JSON");
  for (p = text; p < at; p++) {
    if (*p == '\n') {
      line++;
      col = 1;
    } else if (((unsigned char)*p & 0xC0) != 0x80) {
      col++;
    }
  }
  return schema_err(err, "",
                    "the file is not valid JSON: error near line %zu, column "
                    "%zu (look for a missing comma or quote, or a comma "
                    "before } or ])",
                    line, col);
}

int schema_parse(const char *text, struct schema **out, struct sb_err *err)
{
  struct schema *s = NULL;
  cJSON *j = NULL, *strict = NULL;
  struct sb_err why = {0};
  const char *at;
  size_t len;
  int rc;

  *out = NULL;
  if (text == NULL)
    return sb_err_set(err, SB_EINVAL, "no schema text given");
  len = strlen(text);
  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);

  /*
   * Walk a plain parse first: it keeps the file's order and names a
   * duplicated collection or field. json_parse then applies the strict
   * rules (UTF-8, duplicate keys anywhere, nothing after the value).
   */
  j = cJSON_ParseWithLength(text, len);
  at = j == NULL ? cJSON_GetErrorPtr() : NULL;
  if (j != NULL) {
    rc = schema_build(s, j, err);
    if (rc != 0)
      goto fail;
  }
  strict = json_parse(text, len, "the schema", &why);
  if (strict == NULL && why.code == SB_ENOMEM) {
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto fail;
  }
  if (strict == NULL && j == NULL && utf8_valid(text, len)) {
    rc = syntax_err(text, len, at, err);
    goto fail;
  }
  if (strict == NULL) { /* json_parse's words, as a schema's error */
    rc = SB_ESCHEMA;
    if (err != NULL) {
      *err = why;
      err->code = SB_ESCHEMA;
    }
    goto fail;
  }
  if (j == NULL) { /* json_parse succeeded where cJSON did not: no memory */
    rc = sb_err_set(err, SB_ENOMEM, NULL);
    goto fail;
  }
  cJSON_Delete(strict);
  cJSON_Delete(j);
  *out = s;
  return 0;

fail:
  cJSON_Delete(strict);
  cJSON_Delete(j);
  schema_free(s);
  return rc;
}

void schema_free(struct schema *s)
{
  size_t i, k, v;
  if (s == NULL)
    return;
  for (i = 0; i < s->nc; i++) {
    struct schema_collection *c = &s->c[i];
    for (k = 0; k < c->nfields; k++) {
      struct schema_field *f = &c->fields[k];
      free(f->name);
      free(f->option);
      schema_help_free(&f->help);
      schema_help_free(&f->title);
      for (v = 0; v < f->nvalues; v++)
        free(f->values[v]);
      schema_labels_free(f);
      free(f->values);
      free(f->ref);
    }
    free(c->fields);
    free(c->name);
    schema_help_free(&c->help);
    schema_help_free(&c->title);
    free(c->consent);
    free(c->label);
    free(c->scope_field);
    free(c->scope_follows);
  }
  free(s->c);
  free(s);
}

const struct schema_collection *schema_collection(const struct schema *s,
                                                  const char *name)
{
  size_t i;
  if (s == NULL || name == NULL)
    return NULL;
  for (i = 0; i < s->nc; i++) {
    if (strcmp(s->c[i].name, name) == 0)
      return &s->c[i];
  }
  return NULL;
}

const struct schema_field *schema_field(const struct schema_collection *c,
                                        const char *name)
{
  size_t i;
  if (c == NULL || name == NULL)
    return NULL;
  for (i = 0; i < c->nfields; i++) {
    if (strcmp(c->fields[i].name, name) == 0)
      return &c->fields[i];
  }
  return NULL;
}
