/*
 * jcanon.c - canonical JSON from SAX events (see jcanon.h). Members of an
 * object are written as they come ("key":value, comma-separated); their
 * raw keys are kept aside, and only an object whose keys did not come in
 * strictly ascending order (not canonical input) is rewritten sorted at
 * its end, so canonical input is copied through once.
 */
#include "compat.h"

#include "jcanon.h"

#include "buf.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One member of an open object: its raw key and its "key":value text. */
struct member {
  size_t key_off, key_len; /* in keys */
  size_t seg_off, seg_len; /* in out */
};

struct frame {
  bool map;
  bool unsorted; /* a key came out of order */
  bool first;    /* no element yet */
  size_t start;  /* offset in out just past '{' or '[' */
  size_t mbase;  /* this object's first member in m */
};

struct jcanon {
  struct buf out;
  struct buf keys;
  struct member *m;
  size_t nm, mcap;
  struct frame f[JSON_MAX_DEPTH + 2];
  int depth;
};

struct jcanon *jcanon_new(void)
{
  struct jcanon *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  buf_init(&c->out);
  buf_init(&c->keys);
  return c;
}

void jcanon_free(struct jcanon *c)
{
  if (c == NULL)
    return;
  buf_release(&c->out);
  buf_release(&c->keys);
  free(c->m);
  free(c);
}

void jcanon_begin(struct jcanon *c)
{
  buf_reset(&c->out);
  buf_reset(&c->keys);
  c->nm = 0;
  c->depth = 0;
}

const char *jcanon_text(const struct jcanon *c, size_t *len)
{
  if (len != NULL)
    *len = c->out.len;
  return c->out.p != NULL ? c->out.p : "";
}

/* strcmp order of two byte strings without NUL. */
static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
  int r = memcmp(a, b, an < bn ? an : bn);
  if (r != 0)
    return r;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/* True if one of the 8 bytes of v is below 0x20, '"' or '\\': a byte
 * add_string escapes (the has-zero-byte trick, on v and on v with each
 * quote's bits cleared). */
static bool word_needs_escape(uint64_t v)
{
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  uint64_t quote = v ^ (ones * '"'), slash = v ^ (ones * '\\');
  uint64_t below = (v - ones * 0x20) & ~v;
  return ((below | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)) &
          highs) != 0;
}

/* True if add_string escapes byte ch. */
static bool byte_needs_escape(unsigned char ch)
{
  return ch < 32 || ch == '"' || ch == '\\';
}

/* Where the first byte of s[0..n) that add_string escapes is, n if none.
 * Most strings need no escape: they are skipped 8 bytes at a time. */
static size_t first_escape(const char *s, size_t n)
{
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, s + i, 8);
    if (word_needs_escape(v))
      break;
  }
  while (i < n && !byte_needs_escape((unsigned char)s[i]))
    i++;
  return i;
}

/* Appends s[0..n) as a JSON string, escaped as cJSON prints it. */
static void add_string(struct buf *b, const char *s, size_t n)
{
  size_t i, from = 0;
  char esc[8];

  buf_add(b, "\"", 1);
  for (i = first_escape(s, n); i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!byte_needs_escape(ch))
      continue;
    buf_add(b, s + from, i - from);
    from = i + 1;
    switch (ch) {
    case '"':
      buf_add(b, "\\\"", 2);
      break;
    case '\\':
      buf_add(b, "\\\\", 2);
      break;
    case '\b':
      buf_add(b, "\\b", 2);
      break;
    case '\f':
      buf_add(b, "\\f", 2);
      break;
    case '\n':
      buf_add(b, "\\n", 2);
      break;
    case '\r':
      buf_add(b, "\\r", 2);
      break;
    case '\t':
      buf_add(b, "\\t", 2);
      break;
    default:
      snprintf(esc, sizeof(esc), "\\u%04x", ch);
      buf_add(b, esc, 6);
    }
  }
  buf_add(b, s + from, n - from);
  buf_add(b, "\"", 1);
}

char *jcanon_string_dup(const char *s, size_t n)
{
  struct buf b;
  char *text;

  if (first_escape(s, n) == n) { /* most strings: quoted as they are */
    text = malloc(n + 3);
    if (text != NULL) {
      text[0] = '"';
      memcpy(text + 1, s, n);
      text[n + 1] = '"';
      text[n + 2] = '\0';
    }
    return text;
  }
  buf_init(&b);
  add_string(&b, s, n);
  return buf_take(&b, NULL);
}

/* The double cJSON reads from literal t[0..n) (strtod, at any length). */
static double number_value(const char *t, size_t n)
{
  char small[64], *copy = small;
  double d;
  if (n >= sizeof(small) && (copy = malloc(n + 1)) == NULL)
    return NAN; /* out of memory: refused as not finite */
  memcpy(copy, t, n);
  copy[n] = '\0';
  d = strtod(copy, NULL);
  if (copy != small)
    free(copy);
  return d;
}

/* Appends the number literal t[0..n) as json_print prints it. */
static void add_number(struct buf *b, const char *t, size_t n)
{
  char text[40];
  double d;
  int vi;
  size_t i = (n > 0 && t[0] == '-') ? 1 : 0;

  /* Short integer literals print as written (cJSON's %1.15g of them). */
  if (n - i <= 9 && n > i) {
    size_t k = i;
    while (k < n && t[k] >= '0' && t[k] <= '9')
      k++;
    if (k == n) {
      buf_add(b, t, n);
      return;
    }
  }
  d = number_value(t, n);
  /* cJSON's valueint (saturated): a number equal to it prints as cJSON
   * prints it, %1.15g (exact there); json_print makes the rest exact. */
  if (d >= (double)INT_MAX)
    vi = INT_MAX;
  else if (d <= (double)INT_MIN)
    vi = INT_MIN;
  else
    vi = (int)d;
  if (d == (double)vi) {
    snprintf(text, sizeof(text), "%1.15g", d);
  } else {
    snprintf(text, sizeof(text), "%1.15g", d);
    if (strtod(text, NULL) != d) {
      snprintf(text, sizeof(text), "%1.17g", d);
      if (fabs(d) > 9007199254740992.0 && strpbrk(text, ".eE") == NULL)
        snprintf(text, sizeof(text), "%.16e", d);
    }
  }
  buf_adds(b, text);
}

bool jcanon_int(const char *t, size_t n, int64_t min, int64_t max,
                uint64_t *out)
{
  double d;
  size_t i;
  uint64_t v = 0;

  /* Plain digits up to 2^53 (16 digits: every timestamp in microseconds)
   * read exactly as strtod would, without it; anything else goes the
   * long way. */
  if (n > 0 && n <= 16 && t[0] != '-') {
    for (i = 0; i < n && t[i] >= '0' && t[i] <= '9'; i++)
      v = v * 10 + (uint64_t)(t[i] - '0');
    if (i == n && v <= (uint64_t)1 << 53) {
      if ((int64_t)v < min || (int64_t)v > max)
        return false;
      *out = v;
      return true;
    }
  }
  if (n == 0)
    return false;
  d = number_value(t, n);
  if (!isfinite(d) || d != floor(d))
    return false;
  if (d < -9007199254740992.0 || d > 9007199254740992.0)
    return false;
  if ((int64_t)d < min || (int64_t)d > max)
    return false;
  *out = (uint64_t)(int64_t)d;
  return true;
}

int jcanon_key_add(struct buf *b, const char *s, size_t n)
{
  size_t off = 0, kn;

  while (off < b->len) {
    memcpy(&kn, b->p + off, sizeof(kn));
    off += sizeof(kn);
    if (kn == n && memcmp(b->p + off, s, n) == 0)
      return 0;
    off += kn;
  }
  if (buf_add(b, &n, sizeof(n)) != 0 || buf_add(b, s, n) != 0)
    return SB_ENOMEM;
  return 1;
}

/* Four hex digits at p (end-bounded) into *cp; false if not. */
static bool hex4(const char *p, const char *end, unsigned *cp)
{
  int i;
  *cp = 0;
  if (end - p < 4)
    return false;
  for (i = 0; i < 4; i++) {
    char h = p[i];
    *cp <<= 4;
    if (h >= '0' && h <= '9')
      *cp |= (unsigned)(h - '0');
    else if (h >= 'a' && h <= 'f')
      *cp |= (unsigned)(h - 'a' + 10);
    else if (h >= 'A' && h <= 'F')
      *cp |= (unsigned)(h - 'A' + 10);
    else
      return false;
  }
  return true;
}

/* True if the escapes of raw JSON text p[0..end) pair their surrogates as
 * cJSON requires (a backslash is always an escape's: p starts outside
 * one). */
static bool escapes_ok(const char *p, const char *end)
{
  unsigned cp, lo;

  for (; p < end; p++) {
    if (*p != '\\')
      continue;
    p++;
    if (p >= end || *p != 'u')
      continue;
    if (!hex4(p + 1, end, &cp))
      return false;
    p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (end - p < 7 || p[1] != '\\' || p[2] != 'u' ||
          !hex4(p + 3, end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
        return false;
      p += 6;
    }
  }
  return true;
}

/* True if the raw string ending at text[at - 1] (its closing quote) pairs
 * its surrogate escapes as cJSON requires. */
static bool surrogates_ok(const char *text, size_t at)
{
  size_t q = at - 1, k;

  /* The opening quote: the nearest one not escaped. */
  for (;;) {
    if (q == 0)
      return true;
    q--;
    if (text[q] != '"')
      continue;
    for (k = 0; q > k && text[q - k - 1] == '\\'; k++)
      ;
    if (k % 2 == 0)
      break;
  }
  return escapes_ok(text + q + 1, text + at - 1);
}

bool jcanon_escapes_ok(const char *text, size_t len)
{
  return escapes_ok(text, text + len);
}

bool jcanon_has_u_escape(const char *text, size_t len)
{
  const char *p = text, *end = text + len;

  while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
    if (p + 1 < end && p[1] == 'u')
      return true;
    p += 2; /* an escaped backslash escapes nothing after it */
  }
  return false;
}

bool jcanon_token_ok(const char *text, const struct json_event *e, bool has_u)
{
  if (has_u && (e->ev == JSON_EV_STRING || e->ev == JSON_EV_KEY))
    return surrogates_ok(text, e->at);
  return true;
}

/* Sorts the members of the object closing now and rewrites its text;
 * SB_EJSON on a duplicate key. */
static int resort(struct jcanon *c, struct frame *f)
{
  struct member *m = c->m + f->mbase;
  size_t n = c->nm - f->mbase, i, j, len = c->out.len - f->start;
  char *copy;

  for (i = 1; i < n; i++) { /* insertion sort: objects are small */
    struct member t = m[i];
    for (j = i; j > 0; j--) {
      int r = key_cmp(c->keys.p + m[j - 1].key_off, m[j - 1].key_len,
                      c->keys.p + t.key_off, t.key_len);
      if (r == 0)
        return SB_EJSON;
      if (r < 0)
        break;
      m[j] = m[j - 1];
    }
    m[j] = t;
  }
  copy = malloc(len + 1);
  if (copy == NULL)
    return SB_ENOMEM;
  memcpy(copy, c->out.p + f->start, len);
  c->out.len = f->start;
  for (i = 0; i < n; i++) {
    if (i > 0)
      buf_add(&c->out, ",", 1);
    buf_add(&c->out, copy + (m[i].seg_off - f->start), m[i].seg_len);
  }
  free(copy);
  return 0;
}

/* A value ended at the current depth: closes its member's text. */
static int value_done(struct jcanon *c)
{
  if (c->depth == 0)
    return 1;
  if (c->f[c->depth].map) {
    struct member *m = &c->m[c->nm - 1];
    m->seg_len = c->out.len - m->seg_off;
  }
  return 0;
}

/* Before a value in an array: the comma. */
static void element(struct jcanon *c)
{
  struct frame *f = &c->f[c->depth];
  if (c->depth > 0 && !f->map) {
    if (!f->first)
      buf_add(&c->out, ",", 1);
    f->first = false;
  }
}

static int key(struct jcanon *c, const char *s, size_t n)
{
  struct frame *f = &c->f[c->depth];
  struct member *m;

  if (c->nm > f->mbase) {
    const struct member *p = &c->m[c->nm - 1];
    int r = key_cmp(c->keys.p + p->key_off, p->key_len, s, n);
    if (r == 0)
      return SB_EJSON;
    if (r > 0)
      f->unsorted = true;
  }
  {
    struct member *g = array_grow(c->m, &c->mcap, c->nm, sizeof(*g), 32);
    if (g == NULL)
      return SB_ENOMEM;
    c->m = g;
  }
  if (!f->first)
    buf_add(&c->out, ",", 1);
  f->first = false;
  m = &c->m[c->nm++];
  m->key_off = c->keys.len;
  m->key_len = n;
  buf_add(&c->keys, s, n);
  m->seg_off = c->out.len;
  add_string(&c->out, s, n);
  buf_add(&c->out, ":", 1);
  return 0;
}

static int open_container(struct jcanon *c, bool map)
{
  struct frame *f;
  element(c);
  if (c->depth > JSON_MAX_DEPTH)
    return SB_EJSON;
  buf_add(&c->out, map ? "{" : "[", 1);
  f = &c->f[++c->depth];
  f->map = map;
  f->unsorted = false;
  f->first = true;
  f->start = c->out.len;
  f->mbase = c->nm;
  return 0;
}

static int close_container(struct jcanon *c)
{
  struct frame *f = &c->f[c->depth];
  int rc;
  if (f->map) {
    if (f->unsorted && (rc = resort(c, f)) != 0)
      return rc;
    if (c->nm > f->mbase)
      c->keys.len = c->m[f->mbase].key_off;
    c->nm = f->mbase;
  }
  buf_add(&c->out, f->map ? "}" : "]", 1);
  c->depth--;
  return value_done(c);
}

int jcanon_feed(struct jcanon *c, const struct json_event *e)
{
  int rc = 0;

  switch (e->ev) {
  case JSON_EV_NULL:
    element(c);
    buf_add(&c->out, "null", 4);
    rc = value_done(c);
    break;
  case JSON_EV_BOOL:
    element(c);
    buf_adds(&c->out, e->b ? "true" : "false");
    rc = value_done(c);
    break;
  case JSON_EV_NUMBER:
    element(c);
    add_number(&c->out, e->s, e->n);
    rc = value_done(c);
    break;
  case JSON_EV_STRING:
    element(c);
    add_string(&c->out, e->s, e->n);
    rc = value_done(c);
    break;
  case JSON_EV_KEY:
    rc = key(c, e->s, e->n);
    break;
  case JSON_EV_START_MAP:
  case JSON_EV_START_ARRAY:
    rc = open_container(c, e->ev == JSON_EV_START_MAP);
    break;
  case JSON_EV_END_MAP:
  case JSON_EV_END_ARRAY:
    rc = close_container(c);
    break;
  }
  if (rc >= 0 && (c->out.failed || c->keys.failed))
    return SB_ENOMEM;
  return rc;
}
