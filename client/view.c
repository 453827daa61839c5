/*
 * view.c - the domain commands' `show` labels, `list` tables and wrapped
 * help text; values themselves as people read them (escaped, so a synced
 * value can never break a line or drive the terminal) are
 * common/value_view.c's. Widths count UTF-8 code points (good enough for
 * the Latin text the outreach data holds).
 */
#include "compat.h"

#include "cli.h"

#include "buf.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const char *view_title(const struct schema_help *title, const char *name)
{
  const char *lang = i18n_lang(), *t;

  if (strncmp(lang, "en", 2) == 0)
    return name;
  t = schema_help_in(title, lang);
  return t != NULL ? t : name;
}
