/*
 * value_view.c - values as people read them (value_view.h).
 */
#include "compat.h"

#include "value_view.h"

#include "hlc.h"
#include "i18n.h"
#include "utf8.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void view_escape(struct buf *b, const char *s)
{
  unsigned cp;
  size_t n;

  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if ((n = utf8_hidden_control(s, &cp)) > 0) {
      char hex[12];
      snprintf(hex, sizeof(hex), "\\u%04x", cp);
      buf_adds(b, hex);
      s += n - 1;
    } else if (c == '\n') {
      buf_adds(b, "\\n");
    } else if (c == '\t') {
      buf_adds(b, "\\t");
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      snprintf(hex, sizeof(hex), "\\x%02x", c);
      buf_adds(b, hex);
    } else {
      buf_add(b, s, 1);
    }
  }
}

void view_json_text(struct buf *b, const char *json)
{
  unsigned cp;
  size_t n;

  for (; *json != '\0'; json++) {
    if ((n = utf8_hidden_control(json, &cp)) > 0) {
      char hex[12];
      snprintf(hex, sizeof(hex), "\\u%04x", cp);
      buf_adds(b, hex);
      json += n - 1;
    } else {
      buf_add(b, json, 1);
    }
  }
}

/* Appends one parsed value (see view_value). */
static void view_json(struct buf *b, const cJSON *v)
{
  const cJSON *e;
  char *text;

  if (cJSON_IsString(v)) {
    view_escape(b, v->valuestring);
  } else if (cJSON_IsTrue(v)) {
    buf_adds(b, _("yes"));
  } else if (cJSON_IsFalse(v)) {
    buf_adds(b, _("no"));
  } else if (cJSON_IsNull(v)) {
    buf_adds(b, "");
  } else if (cJSON_IsArray(v)) {
    for (e = v->child; e != NULL; e = e->next) {
      if (e != v->child)
        buf_adds(b, ", ");
      view_json(b, e);
    }
  } else {
    text = cJSON_PrintUnformatted(v);
    if (text != NULL)
      view_escape(b, text);
    cJSON_free(text);
  }
}

void view_value(struct buf *b, const char *text)
{
  cJSON *v = cJSON_Parse(text);
  if (v == NULL) {
    view_escape(b, text);
    return;
  }
  view_json(b, v);
  cJSON_Delete(v);
}

void view_time(uint64_t ts, char *out, size_t size)
{
  time_t t = (time_t)(hlc_ms(ts) / 1000);
  struct tm tm;

  if (localtime_r(&t, &tm) == NULL ||
      strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
    snprintf(out, size, "?");
}

/* Field f's competing values (see view_conflict_lines). */
static void sibling_lines(const struct field *f, view_who_fn who, void *ctx)
{
  const struct entry *w = record_field_winner(f);
  size_t k, n = record_field_nentries(f);
  char when[32];
  struct buf b;
  char *text;

  for (k = 0; k < n; k++) {
    const struct entry *e = record_field_entry(f, k);
    const char *name = who != NULL ? who(e->dot.replica, ctx) : NULL;
    buf_init(&b);
    view_value(&b, e->value);
    text = buf_take(&b, NULL);
    view_time(e->ts, when, sizeof(when));
    printf(_("  %s [%zu] %s  (device %s, %s)%s\n"), record_field_name(f), k + 1,
           text != NULL ? text : "?", name != NULL ? name : e->dot.replica,
           when, e == w ? _(" (shown)") : "");
    free(text);
  }
}

void view_conflict_lines(const struct record *r, bool values, view_who_fn who,
                         void *ctx)
{
  bool first = true;
  size_t i;

  printf("%s\t%s\t", r->collection, r->id);
  for (i = 0; i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    if (record_field_nentries(f) > 1) {
      printf("%s%s", first ? "" : ",", record_field_name(f));
      first = false;
    }
  }
  if (record_delete_conflict(r))
    printf("%s(deleted)", first ? "" : ",");
  putchar('\n');
  for (i = 0; values && i < record_nfields(r); i++) {
    const struct field *f = record_field_at(r, i);
    if (record_field_nentries(f) > 1)
      sibling_lines(f, who, ctx);
  }
}
