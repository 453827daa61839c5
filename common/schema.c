/*
 * schema.c - the outreach data schema (see schema.h; the file format is
 * explained for office staff in deploy/SCHEMA.md).
 *
 * schema_parse turns the office's JSON into plain structs once and refuses
 * anything it does not understand: a typo such as "requried" must not
 * silently switch a check off. Fields and collections keep the order of
 * the file, which is the order people see in help and messages.
 *
 * One value checker serves both writes (messages name the field) and CLI
 * arguments (messages name the option). A collection the schema does not
 * define (c == NULL) is free-form: its checks pass.
 */
#include "compat.h"

#include "schema.h"

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
/*
 * Integers that survive a round trip through cJSON exactly: it prints
 * numbers with 15 significant digits when that reads back "close enough",
 * so 2^53 would come back as 9.00719925474099e+15.
 */
#define INT_LIMIT 999999999999999LL
/* Bytes of a bad value quoted in a message. */
#define SHOW_MAX 60
/* Bytes of a list ("allowed: ...") in a message. */
#define LIST_MAX 320

static const char *const type_names[] = {
    [SCHEMA_STRING] = "string", [SCHEMA_BOOL] = "bool",
    [SCHEMA_INT] = "int",       [SCHEMA_DATE] = "date",
    [SCHEMA_ENUM] = "enum",     [SCHEMA_ENUM_LIST] = "enum_list",
    [SCHEMA_REF] = "ref"};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char *const top_keys[] = {"version", "collections", "help", NULL};
static const char *const collection_keys[] = {"help", "consent", "fields",
                                              NULL};
static const char *const field_keys[] = {
    "type", "required", "personal", "option", "help",
    "max",  "min",      "values",   "ref",    NULL};

/* --- small helpers ----------------------------------------------------- */

/* ASCII-only case-insensitive equality (locale-independent). */
static bool ascii_ieq(const char *a, const char *b)
{
  for (;; a++, b++) {
    char ca = *a, cb = *b;
    if (ca >= 'A' && ca <= 'Z')
      ca = (char)(ca - 'A' + 'a');
    if (cb >= 'A' && cb <= 'Z')
      cb = (char)(cb - 'A' + 'a');
    if (ca != cb)
      return false;
    if (ca == '\0')
      return true;
  }
}

/* A name as a message can show it: quoted, non-printable bytes as \xNN. */
static void quote_name(const char *s, char *out, size_t size)
{
  size_t o = 0, i;
  out[o++] = '"';
  for (i = 0; s[i] != '\0' && i < SB_NAME_MAX + 8 && o + 6 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
      o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    else
      out[o++] = (char)c;
  }
  if (s[i] != '\0' && o + 4 < size) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o++] = '"';
  out[o] = '\0';
}

/* v as JSON text for a message, cut at SHOW_MAX bytes (UTF-8 safe). */
static void show_value(const cJSON *v, char *out, size_t size)
{
  char *p = cJSON_PrintUnformatted(v);
  size_t len;
  if (p == NULL) {
    snprintf(out, size, "(a value)");
    return;
  }
  len = strlen(p);
  if (len > SHOW_MAX) {
    len = SHOW_MAX;
    while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80)
      len--;
    snprintf(out, size, "%.*s...", (int)len, p);
  } else {
    snprintf(out, size, "%s", p);
  }
  cJSON_free(p);
}

/* s as a quoted JSON string for a message (see show_value). */
static void show_text(const char *s, char *out, size_t size)
{
  cJSON *j = cJSON_CreateString(s);
  if (j == NULL) {
    snprintf(out, size, "(a value)");
    return;
  }
  show_value(j, out, size);
  cJSON_Delete(j);
}

/* A comma-separated list for a message, ending in "..." once full. */
struct list {
  char s[LIST_MAX];
  size_t len;
  bool full;
};

static void list_add(struct list *l, const char *item)
{
  int n;
  if (l->full)
    return;
  n = snprintf(l->s + l->len, sizeof(l->s) - l->len, "%s%s",
               l->len > 0 ? ", " : "", item);
  if (n < 0 || (size_t)n >= sizeof(l->s) - l->len - 6) {
    /* Keep room for ", ..." by cutting back to the last whole item. */
    l->s[l->len] = '\0';
    snprintf(l->s + l->len, sizeof(l->s) - l->len, "%s...",
             l->len > 0 ? ", " : "");
    l->full = true;
    return;
  }
  l->len += (size_t)n;
}

static void list_values(const struct schema_field *f, struct list *l)
{
  size_t i;
  l->s[0] = '\0';
  l->len = 0;
  l->full = false;
  for (i = 0; i < f->nvalues; i++)
    list_add(l, f->values[i]);
}

/*
 * True if s is a valid calendar date YYYY-MM-DD (years 0001-9999,
 * Gregorian leap years), nothing before or after.
 */
static bool date_valid(const char *s)
{
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int i, y, m, d, last;
  for (i = 0; i < 10; i++) {
    if (i == 4 || i == 7) {
      if (s[i] != '-')
        return false;
    } else if (s[i] < '0' || s[i] > '9') {
      return false;
    }
  }
  if (s[10] != '\0')
    return false;
  y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
      (s[3] - '0');
  m = (s[5] - '0') * 10 + (s[6] - '0');
  d = (s[8] - '0') * 10 + (s[9] - '0');
  if (y < 1 || m < 1 || m > 12 || d < 1)
    return false;
  last = mdays[m - 1];
  if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
    last = 29;
  return d <= last;
}

/* --- parsing the schema ------------------------------------------------ */

/* SB_ESCHEMA with "schema: <where>: <fmt...>". */
static int schema_err(struct sb_err *err, const char *where, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

static int schema_err(struct sb_err *err, const char *where, const char *fmt,
                      ...)
{
  char msg[SB_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
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
    quote_name(dup, q, sizeof(q));
    return schema_err(err, where, "%s is given twice", q);
  }
  for (m = obj->child; m != NULL; m = m->next) {
    struct list l = {.len = 0};
    size_t i;
    bool ok = false;
    for (i = 0; known[i] != NULL; i++) {
      list_add(&l, known[i]);
      if (strcmp(m->string, known[i]) == 0)
        ok = true;
    }
    if (!ok) {
      quote_name(m->string, q, sizeof(q));
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

    show_value(v, shown, sizeof(shown));
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
      if (ascii_ieq(f->values[i], s))
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

/* Reads one field definition (f is zeroed; filled even on error). */
static int parse_field(struct schema_field *f, const char *coll, const cJSON *j,
                       struct sb_err *err)
{
  char where[160], q[96];
  const cJSON *type;
  size_t t;
  int rc;

  quote_name(j->string, q, sizeof(q));
  snprintf(where, sizeof(where), "collection \"%s\", field %s", coll, q);
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
    show_value(type, shown, sizeof(shown));
    return schema_err(err, where,
                      "unknown type %s (use string, bool, int, date, enum, "
                      "enum_list or ref)",
                      shown);
  }
  f->type = (enum schema_type)t;

  if ((rc = get_bool(j, "required", &f->required, where, err)) != 0 ||
      (rc = get_bool(j, "personal", &f->personal, where, err)) != 0 ||
      (rc = get_string(j, "help", &f->help, where, err)) != 0 ||
      (rc = get_string(j, "option", &f->option, where, err)) != 0)
    return rc;

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
    quote_name(f->option, q, sizeof(q));
    return schema_err(err, where,
                      "bad option %s (use 1-%d letters, digits, '-' or '_')", q,
                      SB_NAME_MAX);
  }

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
      quote_name(f->ref, q, sizeof(q));
      return schema_err(err, where, "\"ref\" names a bad collection %s", q);
    }
    return 0;
  case SCHEMA_BOOL:
  case SCHEMA_DATE:
    return 0;
  }
  return 0;
}

/* Reads one collection (c is zeroed; filled even on error). */
static int parse_collection(struct schema_collection *c, const cJSON *j,
                            struct sb_err *err)
{
  char where[128], q[96];
  const cJSON *fields, *m;
  size_t i, k, n;
  int rc;

  quote_name(j->string, q, sizeof(q));
  snprintf(where, sizeof(where), "collection %s", q);
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
      (rc = get_string(j, "help", &c->help, where, err)) != 0 ||
      (rc = get_string(j, "consent", &c->consent, where, err)) != 0)
    return rc;

  fields = cJSON_GetObjectItemCaseSensitive(j, "fields");
  if (!cJSON_IsObject(fields) || fields->child == NULL)
    return schema_err(err, where,
                      "\"fields\" must be an object with at "
                      "least one field");
  if (dup_key(fields) != NULL) {
    quote_name(dup_key(fields), q, sizeof(q));
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
    quote_name(c->consent, q, sizeof(q));
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
  return 0;
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
    show_value(version, shown, sizeof(shown));
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
      quote_name(dup, q, sizeof(q));
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
  return 0;
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
  if (j != NULL) {
    rc = schema_build(s, j, err);
    if (rc != 0)
      goto fail;
  } else if (utf8_valid(text, len)) {
    rc = syntax_err(text, len, cJSON_GetErrorPtr(), err);
    goto fail;
  }
  strict = json_parse(text, len, "the schema", err);
  if (strict == NULL) {
    rc = SB_ESCHEMA;
    if (err != NULL)
      err->code = SB_ESCHEMA;
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
      free(f->help);
      for (v = 0; v < f->nvalues; v++)
        free(f->values[v]);
      free(f->values);
      free(f->ref);
    }
    free(c->fields);
    free(c->name);
    free(c->help);
    free(c->consent);
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
      if (ascii_ieq(item->valuestring, f->values[i])) {
        if (cJSON_SetValuestring(item, f->values[i]) == NULL)
          return sb_err_set(err, SB_ENOMEM, NULL);
        return 0;
      }
    }
  }
  show_value(item, shown, sizeof(shown));
  list_values(f, &l);
  return sb_err_set(err, SB_ESCHEMA, "%s: %s is not allowed (allowed: %s)",
                    what, shown, l.s);
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
  switch (f->type) {
  case SCHEMA_STRING:
    if (cJSON_IsString(v) && strlen(v->valuestring) <= (size_t)f->max)
      return 0;
    break;
  case SCHEMA_BOOL:
    if (cJSON_IsBool(v))
      return 0;
    break;
  case SCHEMA_INT:
    if (json_is_int(v, f->min, f->max))
      return 0;
    break;
  case SCHEMA_DATE:
    if (cJSON_IsString(v) && date_valid(v->valuestring))
      return 0;
    break;
  case SCHEMA_ENUM:
    return match_enum(f, v, what, err);
  case SCHEMA_ENUM_LIST:
    if (!cJSON_IsArray(v) || v->child == NULL)
      break;
    for (item = v->child; item != NULL; item = item->next) {
      rc = match_enum(f, item, what, err);
      if (rc != 0)
        return rc;
      for (prev = v->child; prev != item; prev = prev->next) {
        if (strcmp(prev->valuestring, item->valuestring) == 0) {
          show_value(item, shown, sizeof(shown));
          return sb_err_set(err, SB_ESCHEMA, "%s: %s is listed twice", what,
                            shown);
        }
      }
    }
    return 0;
  case SCHEMA_REF:
    if (cJSON_IsString(v) && record_id_valid(v->valuestring))
      return 0;
    break;
  }

  show_value(v, shown, sizeof(shown));
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
    list_values(f, &l);
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

int schema_check_write(const struct schema_collection *c, cJSON *fields,
                       struct sb_err *err)
{
  cJSON *m;
  char what[SB_NAME_MAX + 16];
  int rc;

  if (c == NULL)
    return 0;
  if (!cJSON_IsObject(fields))
    return sb_err_set(err, SB_ESCHEMA,
                      "the fields of a %s record must be a JSON object",
                      c->name);
  for (m = fields->child; m != NULL; m = m->next) {
    const struct schema_field *f = schema_field(c, m->string);
    if (f == NULL) {
      char q[96];
      struct list l = {.len = 0};
      size_t i;
      for (i = 0; i < c->nfields; i++)
        list_add(&l, c->fields[i].name);
      quote_name(m->string, q, sizeof(q));
      return sb_err_set(err, SB_ESCHEMA,
                        "unknown field %s in collection %s (known: %s)", q,
                        c->name, l.s);
    }
    if (cJSON_IsNull(m)) {
      if (f->required)
        return sb_err_set(err, SB_ESCHEMA,
                          "field \"%s\" is required in %s: it cannot be "
                          "cleared (null)",
                          f->name, c->name);
      continue;
    }
    snprintf(what, sizeof(what), "field \"%s\"", f->name);
    rc = check_value(f, m, what, err);
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
      list_add(&personal, f->name);
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
    if (ascii_ieq(arg, yes[i])) {
      *out = true;
      return 0;
    }
  }
  for (i = 0; no[i] != NULL; i++) {
    if (ascii_ieq(arg, no[i])) {
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
      show_text(arg, item, sizeof(item));
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
  snprintf(what, sizeof(what), "option --%s", f->option);
  if (!utf8_valid(arg, strlen(arg))) {
    sb_err_set(err, SB_ESCHEMA, "%s: the value is not valid UTF-8", what);
    return NULL;
  }
  switch (f->type) {
  case SCHEMA_BOOL:
    if (parse_bool(arg, &b) != 0) {
      show_text(arg, shown, sizeof(shown));
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
      show_text(arg, shown, sizeof(shown));
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
  case SCHEMA_STRING:
  case SCHEMA_DATE:
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
