/*
 * schema_help.c - texts per language: a collection's or field's "help"
 * and "title". Each is one string, or an object of language code: text
 * with an "en" text, e.g.
 *   "help": {"en": "Full name", "id": "Nama lengkap"}
 *   "title": {"en": "Name", "id": "Nama"}
 * `sambang COLL --help` shows the help in the reader's language, else
 * the English one (as enum labels do, schema_labels.c); the office
 * dashboard heads its columns and cards with the titles.
 */
#include "compat.h"

#include "schema_int.h"

#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of one help text, of one title. */
#define HELP_MAX 1000
#define TITLE_MAX 100

static int help_err(struct sb_err *err, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A refusal naming where; fmt is translated. */
static int help_err(struct sb_err *err, const char *where, const char *fmt, ...)
{
  char text[SB_ERR_MSG_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), i18n_text(fmt), ap);
  va_end(ap);
  return sb_err_set(err, SB_ESCHEMA, "schema: %s: %s", where, text);
}

/* One text of member: a string of 1..max bytes (lang: its language, or
 * NULL for a plain string). */
static int text_check(const cJSON *t, const char *member, size_t max,
                      const char *where, const char *lang, struct sb_err *err)
{
  if (cJSON_IsString(t) && t->valuestring[0] != '\0' &&
      strlen(t->valuestring) <= max)
    return 0;
  if (lang == NULL)
    return help_err(err, where, N_("\"%s\" must be a text of 1 to %zu bytes"),
                    member, max);
  return help_err(err, where,
                  N_("\"%s\" \"%s\" must be a text of 1 to %zu bytes"), member,
                  lang, max);
}

/* Reads member (texts of at most max bytes) of obj into h. */
static int texts_parse(struct schema_help *h, const cJSON *obj,
                       const char *member, size_t max, const char *where,
                       struct sb_err *err)
{
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, member), *m;
  size_t n = 0;
  int rc;

  memset(h, 0, sizeof(*h));
  if (j == NULL)
    return 0;
  if (cJSON_IsString(j)) {
    if ((rc = text_check(j, member, max, where, NULL, err)) != 0)
      return rc;
    h->text = strdup(j->valuestring);
    return h->text == NULL ? sb_err_set(err, SB_ENOMEM, NULL) : 0;
  }
  if (!cJSON_IsObject(j))
    return help_err(err, where,
                    N_("\"%s\" must be a text or an object of language: "
                       "text"),
                    member);
  for (m = j->child; m != NULL; m = m->next)
    n++;
  h->v = calloc(n > 0 ? n : 1, sizeof(*h->v));
  if (h->v == NULL)
    return sb_err_set(err, SB_ENOMEM, NULL);
  for (m = j->child; m != NULL; m = m->next) {
    struct schema_help_text *t = &h->v[h->n];
    if (!schema_lang_valid(m->string) || strlen(m->string) >= sizeof(t->lang))
      return help_err(err, where,
                      N_("\"%s\": \"%s\" is not a language code (like id, "
                         "en or pt_BR)"),
                      member, m->string);
    if ((rc = text_check(m, member, max, where, m->string, err)) != 0)
      return rc;
    snprintf(t->lang, sizeof(t->lang), "%s", m->string);
    t->text = strdup(m->valuestring);
    if (t->text == NULL)
      return sb_err_set(err, SB_ENOMEM, NULL);
    h->n++;
    if (strcmp(t->lang, "en") == 0)
      h->text = t->text;
  }
  if (h->text == NULL)
    return help_err(err, where, N_("\"%s\" has no \"en\" text"), member);
  return 0;
}

int schema_help_parse(struct schema_help *h, const cJSON *obj,
                      const char *where, struct sb_err *err)
{
  return texts_parse(h, obj, "help", HELP_MAX, where, err);
}

int schema_title_parse(struct schema_help *h, const cJSON *obj,
                       const char *where, struct sb_err *err)
{
  return texts_parse(h, obj, "title", TITLE_MAX, where, err);
}

void schema_help_free(struct schema_help *h)
{
  size_t i;

  if (h->v == NULL) {
    free(h->text); /* a plain string */
  } else {
    for (i = 0; i < h->n; i++)
      free(h->v[i].text);
    free(h->v);
  }
  memset(h, 0, sizeof(*h));
}

const char *schema_help_in(const struct schema_help *h, const char *lang)
{
  size_t i, n;

  if (lang == NULL)
    return h->text;
  n = strcspn(lang, "_.@");
  for (i = 0; i < h->n; i++) {
    if (strcmp(h->v[i].lang, lang) == 0)
      return h->v[i].text;
  }
  for (i = 0; i < h->n; i++) {
    if (strlen(h->v[i].lang) == n && strncmp(h->v[i].lang, lang, n) == 0)
      return h->v[i].text;
  }
  return h->text;
}
