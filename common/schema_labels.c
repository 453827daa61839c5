/*
 * schema_labels.c - labels of enum values per language.
 *
 * An enum or enum_list field may carry
 *   "labels": {"id": {"skills-cooking": "Pelatihan keterampilan: memasak"},
 *              "en": {"skills-cooking": "Skills training: cooking"}}
 * People see the label of their language (list, show, help); the value is
 * what the store and the wire hold, and what --json prints. A language is
 * a code of 2 or 3 lowercase letters (ll, or ll_CC for a country); every
 * key of a language must be one of the field's values (a typo would
 * silently show the raw value), a label is 1..LABEL_MAX bytes of UTF-8
 * without control characters. A language need not label every value.
 */
#include "compat.h"

#include "schema_int.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 200

bool schema_lang_valid(const char *s)
{
  size_t n = 0;
  while (s[n] >= 'a' && s[n] <= 'z')
    n++;
  if (n < 2 || n > 3)
    return false;
  if (s[n] == '\0')
    return true;
  return s[n] == '_' && s[n + 1] >= 'A' && s[n + 1] <= 'Z' && s[n + 2] >= 'A' &&
         s[n + 2] <= 'Z' && s[n + 3] == '\0';
}

static int value_index(const struct schema_field *f, const char *v)
{
  size_t i;
  for (i = 0; i < f->nvalues; i++) {
    if (strcmp(f->values[i], v) == 0)
      return (int)i;
  }
  return -1;
}

static int label_check(const char *lang, const cJSON *m, const char *where,
                       struct sb_err *err)
{
  const char *s = cJSON_IsString(m) ? m->valuestring : NULL;
  size_t len = s != NULL ? strlen(s) : 0, i;
  char q[96];

  schema_quote_name(m->string, q, sizeof(q));
  if (s == NULL || len == 0 || len > LABEL_MAX || !utf8_valid(s, len))
    return sb_err_set(err, SB_ESCHEMA,
                      "schema: %s: \"labels\" \"%s\": the label of %s must "
                      "be text of 1 to %d bytes",
                      where, lang, q, LABEL_MAX);
  for (i = 0; i < len; i++) {
    if ((unsigned char)s[i] < 0x20)
      return sb_err_set(err, SB_ESCHEMA,
                        "schema: %s: \"labels\" \"%s\": the label of %s "
                        "contains a control character",
                        where, lang, q);
  }
  return 0;
}

/* Reads one language's labels into l (values indexed like f->values). */
static int parse_lang(struct schema_field *f, struct schema_labels *l,
                      const cJSON *j, const char *where, struct sb_err *err)
{
  const cJSON *m;
  char q[96];
  int k, rc;

  schema_quote_name(j->string, q, sizeof(q));
  if (!schema_lang_valid(j->string))
    return sb_err_set(err, SB_ESCHEMA,
                      "schema: %s: \"labels\": %s is not a language code "
                      "(use two letters such as id or en)",
                      where, q);
  if (!cJSON_IsObject(j))
    return sb_err_set(err, SB_ESCHEMA,
                      "schema: %s: \"labels\" %s must be an object of "
                      "value: label",
                      where, q);
  snprintf(l->lang, sizeof(l->lang), "%s", j->string);
  l->text = calloc(f->nvalues, sizeof(*l->text));
  if (l->text == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (m = j->child; m != NULL; m = m->next) {
    k = value_index(f, m->string);
    if (k < 0) {
      schema_quote_name(m->string, q, sizeof(q));
      return sb_err_set(err, SB_ESCHEMA,
                        "schema: %s: \"labels\" \"%s\": %s is not one of the "
                        "field's values",
                        where, l->lang, q);
    }
    if (l->text[k] != NULL) { /* the plain parse keeps duplicate keys */
      schema_quote_name(m->string, q, sizeof(q));
      return sb_err_set(err, SB_ESCHEMA,
                        "schema: %s: \"labels\" \"%s\": %s is labelled twice",
                        where, l->lang, q);
    }
    if ((rc = label_check(l->lang, m, where, err)) != 0)
      return rc;
    l->text[k] = strdup(m->valuestring);
    if (l->text[k] == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
  }
  return 0;
}

int schema_labels_parse(struct schema_field *f, const cJSON *j,
                        const char *where, struct sb_err *err)
{
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(j, "labels");
  const cJSON *m;
  size_t n;
  int rc;

  if (labels == NULL)
    return 0;
  if (f->type != SCHEMA_ENUM && f->type != SCHEMA_ENUM_LIST)
    return sb_err_set(err, SB_ESCHEMA,
                      "schema: %s: \"labels\" is only for enum and enum_list",
                      where);
  if (!cJSON_IsObject(labels))
    return sb_err_set(err, SB_ESCHEMA,
                      "schema: %s: \"labels\" must be an object of language: "
                      "{value: label}",
                      where);
  n = (size_t)cJSON_GetArraySize(labels);
  f->labels = calloc(n > 0 ? n : 1, sizeof(*f->labels));
  if (f->labels == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (m = labels->child; m != NULL; m = m->next) {
    rc = parse_lang(f, &f->labels[f->nlabels++], m, where, err);
    if (rc != 0)
      return rc;
  }
  return 0;
}

void schema_labels_free(struct schema_field *f)
{
  size_t i, v;
  for (i = 0; i < f->nlabels; i++) {
    for (v = 0; f->labels[i].text != NULL && v < f->nvalues; v++)
      free(f->labels[i].text[v]);
    free(f->labels[i].text);
  }
  free(f->labels);
  f->labels = NULL;
  f->nlabels = 0;
}

/* The label of value k in language lang ("id", or "id_ID": then "id"). */
static const char *label_in(const struct schema_field *f, int k,
                            const char *lang)
{
  size_t i, n = strcspn(lang, "_.@");
  for (i = 0; i < f->nlabels; i++) {
    if (strcmp(f->labels[i].lang, lang) == 0 && f->labels[i].text[k] != NULL)
      return f->labels[i].text[k];
  }
  for (i = 0; i < f->nlabels; i++) {
    if (strlen(f->labels[i].lang) == n &&
        strncmp(f->labels[i].lang, lang, n) == 0 &&
        f->labels[i].text[k] != NULL)
      return f->labels[i].text[k];
  }
  return NULL;
}

const char *schema_label(const struct schema_field *f, const char *value,
                         const char *lang)
{
  const char *l = NULL;
  int k;

  if (f == NULL || value == NULL || f->nlabels == 0 ||
      (k = value_index(f, value)) < 0)
    return value;
  if (lang != NULL)
    l = label_in(f, k, lang);
  if (l == NULL)
    l = label_in(f, k, "en");
  return l != NULL ? l : value;
}
