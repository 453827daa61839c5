/*
 * schema_text.c - small text helpers of the schema code (see
 * schema_int.h): locale-independent comparison, date syntax, and how
 * names, values and lists of allowed values are quoted in messages
 * (shortened, never raw control characters).
 */
#include "compat.h"

#include "schema_int.h"

#include "date.h"
#include "json.h"
#include "record.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

/* ASCII-only case-insensitive equality (locale-independent). */
bool schema_ascii_ieq(const char *a, const char *b)
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
void schema_quote_name(const char *s, char *out, size_t size)
{
  size_t o = 0, i;
  out[o++] = '"';
  for (i = 0; i < SB_NAME_MAX + 8 && s[i] != '\0' && o + 6 < size; i++) {
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

/* v as JSON text for a message, cut at SHOW_MAX bytes (UTF-8 safe). A
 * value short enough is printed in place, with no allocation, so a
 * message does not change when memory runs short; a longer one is
 * printed whole, or shown as "(a value)" if that fails. */
void schema_show_value(const cJSON *v, char *out, size_t size)
{
  char small[4 * SHOW_MAX + 64], *p = small, *big = NULL;
  size_t len;

  if (!cJSON_PrintPreallocated((cJSON *)v, small, (int)sizeof(small), false))
    p = big = cJSON_PrintUnformatted(v);
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
  cJSON_free(big);
}

/* s as a quoted JSON string for a message (see schema_show_value). */
void schema_show_text(const char *s, char *out, size_t size)
{
  cJSON *j = cJSON_CreateString(s);
  if (j == NULL) {
    snprintf(out, size, "(a value)");
    return;
  }
  schema_show_value(j, out, size);
  cJSON_Delete(j);
}

void schema_list_add(struct list *l, const char *item)
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

void schema_list_values(const struct schema_field *f, struct list *l)
{
  size_t i;
  l->s[0] = '\0';
  l->len = 0;
  l->full = false;
  for (i = 0; i < f->nvalues; i++)
    schema_list_add(l, f->values[i]);
}

void schema_values_text(const struct schema_field *f, char *out, size_t size)
{
  struct list l;

  schema_list_values(f, &l);
  snprintf(out, size, "%s", l.s);
}

/* True if s is a valid calendar date YYYY-MM-DD (see date_valid). */
bool schema_date_valid(const char *s)
{
  return date_valid(s);
}
