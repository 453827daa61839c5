/*
 * view.c - values as people read them: the domain commands' `show` lines
 * and `list` tables, and wrapped help text.
 *
 * Values come from other devices too, so control characters are shown
 * escaped: a synced value can never break a line or drive the terminal
 * (C1 controls and bidirectional overrides, which reorder what is shown,
 * as \uXXXX).
 * Widths count UTF-8 code points (good enough for the Latin text the
 * outreach data holds).
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* UTF-8 code points in s. */
static size_t width(const char *s)
{
  size_t n = 0;
  for (; *s != '\0'; s++) {
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  }
  return n;
}

/* The byte length of the first max code points of s. */
static size_t prefix_bytes(const char *s, size_t max)
{
  size_t i = 0, n = 0;
  for (; s[i] != '\0'; i++) {
    if (((unsigned char)s[i] & 0xC0) != 0x80) {
      if (n == max)
        break;
      n++;
    }
  }
  return i;
}

void view_table_init(struct view_table *t, size_t ncols)
{
  memset(t, 0, sizeof(*t));
  t->ncols = ncols;
}

int view_table_add(struct view_table *t, char **row)
{
  size_t i;
  if (t->nrows == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 32;
    char **cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));
    if (cells == NULL)
      goto nomem;
    t->cells = cells;
    t->cap = cap;
  }
  memcpy(&t->cells[t->nrows * t->ncols], row, t->ncols * sizeof(*row));
  t->nrows++;
  return 0;
nomem:
  for (i = 0; i < t->ncols; i++)
    free(row[i]);
  return SB_ENOMEM;
}

void view_table_print(const struct view_table *t, size_t maxw)
{
  size_t *w = calloc(t->ncols, sizeof(*w));
  size_t r, c;

  if (w == NULL)
    return;
  for (r = 0; r < t->nrows; r++) {
    for (c = 0; c < t->ncols; c++) {
      size_t n = width(t->cells[r * t->ncols + c]);
      if (n > maxw && !(c < 8 && t->keep[c]))
        n = maxw;
      if (n > w[c])
        w[c] = n;
    }
  }
  for (r = 0; r < t->nrows; r++) {
    for (c = 0; c < t->ncols; c++) {
      const char *s = t->cells[r * t->ncols + c];
      size_t n = width(s);
      bool last = c + 1 == t->ncols;
      if (n > maxw && !(c < 8 && t->keep[c])) {
        /* Cut to maxw code points, the last three being "...". */
        printf("%.*s...", (int)prefix_bytes(s, maxw - 3), s);
        n = maxw;
      } else {
        fputs(s, stdout);
      }
      if (!last)
        printf("%*s", (int)(w[c] - n + 2), "");
    }
    putchar('\n');
  }
  free(w);
}

void view_table_release(struct view_table *t)
{
  size_t i;
  for (i = 0; i < t->nrows * t->ncols; i++)
    free(t->cells[i]);
  free(t->cells);
  memset(t, 0, sizeof(*t));
}

void view_wrap(FILE *out, const char *text, size_t indent, size_t cols)
{
  const char *p = text;
  size_t col = 0;

  while (*p != '\0') {
    const char *end = p;
    size_t n;
    while (*end != '\0' && *end != ' ')
      end++;
    n = width(p) - width(end);
    if (col > 0 && col + 1 + n > cols) {
      fputc('\n', out);
      col = 0;
    }
    if (col == 0) {
      fprintf(out, "%*s", (int)indent, "");
      col = indent;
    } else {
      fputc(' ', out);
      col++;
    }
    fwrite(p, 1, (size_t)(end - p), out);
    col += n;
    p = end;
    while (*p == ' ')
      p++;
  }
  if (col > 0)
    fputc('\n', out);
}

/* An enum value (or list of them) as the labels of the user's language. */
bool view_labels(struct buf *b, const struct schema_field *sf,
                 const char *value)
{
  cJSON *v = cJSON_Parse(value);
  const cJSON *e;
  bool done = true;

  if (cJSON_IsString(v)) {
    buf_adds(b, schema_label(sf, v->valuestring, i18n_lang()));
  } else if (cJSON_IsArray(v)) {
    for (e = v->child; e != NULL && done; e = e->next)
      done = cJSON_IsString(e);
    for (e = v->child; e != NULL && done; e = e->next) {
      if (e != v->child)
        buf_adds(b, ", ");
      buf_adds(b, schema_label(sf, e->valuestring, i18n_lang()));
    }
  } else {
    done = false;
  }
  cJSON_Delete(v);
  return done;
}
