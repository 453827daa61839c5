/*
 * json_strict.c - the validating pass of json_strict.h, on yajl's SAX
 * parser: it sees numbers as text and strings with their length, so it
 * catches what cJSON would change, and it builds nothing.
 */
#include "compat.h"

#include "json_strict.h"

#include "buf.h"
#include "jcanon.h"
#include "yajl_mem.h"

#include <yajl/yajl_parse.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SB_XSTR(x) #x
#define SB_STR(x) SB_XSTR(x)

struct scan {
  yajl_handle h;
  struct yajl_mem mem; /* yajl's blocks, freed by us if memory runs out */
  const char *text;
  size_t len;
  const char *what;
  struct sb_err *err;
  int rc;
  int depth;                        /* open containers */
  bool is_map[JSON_MAX_DEPTH + 1];  /* per depth (1-based) */
  size_t count[JSON_MAX_DEPTH + 1]; /* elements so far, per depth */
  struct json_spans *sp;
  bool key_hit;    /* the last root key was sp->key */
  int spans_depth; /* depth of the spans' array while open, else 0 */
  size_t last_end; /* where the next element's text may begin */
  size_t cap;
  char key[JSON_MAX_DEPTH + 1][48]; /* the last key per depth, cut */
  const struct json_sink *sink;
  bool done;        /* the root value is complete */
  size_t root_end;  /* where it ended (yajl's count) */
  size_t root_stop; /* where it ended for json_strict_tail_ok */
  bool has_u;       /* the text holds a \u escape */
  bool may_nul;     /* has_u (or a NUL byte): a string or key may hold a NUL;
                       else none can */
};

static size_t at(const struct scan *s)
{
  return yajl_get_bytes_consumed(s->h);
}

/* Passes one event on to the sink, if any. */
static void emit(struct scan *s, enum json_ev ev, const char *t, size_t n,
                 bool b)
{
  struct json_event e;
  if (s->sink == NULL)
    return;
  e.ev = ev;
  e.s = t;
  e.n = n;
  e.b = b;
  e.at = at(s);
  /* Only an escape can make cJSON read a token otherwise. */
  e.ok = !s->has_u || jcanon_token_ok(s->text, &e, true);
  s->sink->fn(s->sink->ctx, &e);
}

/* The innermost key around the current value, or "" (for messages). */
static const char *where_key(const struct scan *s)
{
  int d;
  for (d = s->depth; d > 0; d--) {
    if (s->is_map[d])
      return s->key[d];
  }
  return "";
}

/* Notes the element of the spans' array the current position is in. */
static void blame(struct scan *s)
{
  if (s->sp != NULL && s->spans_depth > 0 && s->depth >= s->spans_depth)
    s->sp->bad = s->sp->n;
}

/* Records the refusal (what + detail + where); returns 0 so yajl stops. */
static int refuse(struct scan *s, const char *detail)
{
  const char *k = where_key(s);
  blame(s);
  s->rc = sb_err_set(s->err, SB_EJSON, "%s %s%s%s%s (near byte %zu)", s->what,
                     detail, *k ? " in \"" : "", k, *k ? "\"" : "", at(s));
  return 0;
}

/* As refuse, naming the number literal t[0..n). */
static int refuse_number(struct scan *s, const char *why, const char *t,
                         size_t n)
{
  const char *k = where_key(s);
  blame(s);
  s->rc =
      sb_err_set(s->err, SB_EJSON, "%s has %s%s%s%s: %.*s%s (near byte %zu)",
                 s->what, why, *k ? " in \"" : "", k, *k ? "\"" : "",
                 (int)(n > 40 ? 40 : n), t, n > 40 ? "..." : "", at(s));
  return 0;
}

/* True if the mantissa of number literal t[0..n) has a non-zero digit. */
static bool nonzero_mantissa(const char *t, size_t n)
{
  size_t i;
  for (i = 0; i < n && t[i] != 'e' && t[i] != 'E'; i++) {
    if (t[i] >= '1' && t[i] <= '9')
      return true;
  }
  return false;
}

/* Ends an element of the spans' array at the current position. */
static int span_end(struct scan *s)
{
  struct json_spans *sp = s->sp;
  size_t off = s->last_end, end = at(s);

  while (off < end &&
         (s->text[off] == ',' || s->text[off] == ' ' || s->text[off] == '\t' ||
          s->text[off] == '\n' || s->text[off] == '\r'))
    off++;
  s->last_end = end;
  if (end - off > sp->span_max) {
    sp->bad = sp->n;
    s->rc = sb_err_set(s->err, SB_ETOOBIG,
                       "%s: \"%s\"[%zu] is too large (%zu bytes, at most %zu)",
                       s->what, sp->key, sp->n, end - off, sp->span_max);
    return 0;
  }
  {
    struct json_span *g = array_grow(sp->spans, &s->cap, sp->n, sizeof(*g), 64);
    if (g == NULL) {
      s->rc = sb_err_set(s->err, SB_ENOMEM, NULL);
      return 0;
    }
    sp->spans = g;
  }
  sp->spans[sp->n].off = off;
  sp->spans[sp->n].len = end - off;
  sp->n++;
  return 1;
}

/* A value begins (scalar or container) at the current depth. */
static int value_begin(struct scan *s)
{
  if (s->depth > 0 && !s->is_map[s->depth] &&
      ++s->count[s->depth] > JSON_MAX_ELEMENTS)
    return refuse(
        s, "has an array of more than " SB_STR(JSON_MAX_ELEMENTS) " elements");
  if (s->sp != NULL && s->depth == s->spans_depth &&
      s->sp->n >= s->sp->max_spans) {
    s->rc = sb_err_set(s->err, SB_EJSON, "%s: too many %s (more than %zu)",
                       s->what, s->sp->key, s->sp->max_spans);
    return 0;
  }
  return 1;
}

/* A value ended at the current depth (a scalar, or a container closed). */
static int value_end(struct scan *s)
{
  if (s->depth == 0) {
    s->done = true;
    s->root_end = at(s);
  }
  if (s->sp != NULL && s->spans_depth > 0 && s->depth == s->spans_depth)
    return span_end(s);
  return 1;
}

/*
 * Where a number that is the root value ends: yajl reports a number at the
 * end of the text before counting it, so its count says nothing.
 */
static size_t number_root_end(const struct scan *s, size_t n)
{
  size_t off = 0;
  while (off < s->len && strchr(" \t\n\r\f\v", s->text[off]) != NULL)
    off++;
  return off + n;
}

static int scalar(struct scan *s, enum json_ev ev, const char *t, size_t n,
                  bool b)
{
  s->key_hit = false;
  if (!value_begin(s))
    return 0;
  emit(s, ev, t, n, b);
  if (s->depth == 0)
    s->root_stop = ev == JSON_EV_NUMBER ? number_root_end(s, n) : at(s);
  return value_end(s);
}

static int on_null(void *ctx)
{
  return scalar(ctx, JSON_EV_NULL, NULL, 0, false);
}

static int on_bool(void *ctx, int b)
{
  return scalar(ctx, JSON_EV_BOOL, NULL, 0, b != 0);
}

/* True if number literal t[0..n) has no fraction and no exponent (one
 * pass: literals are short, three memchr calls cost more). */
static bool is_int_literal(const char *t, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (t[i] == '.' || t[i] == 'e' || t[i] == 'E')
      return false;
  return true;
}

/* Refuses integer literals beyond 2^53, non-finite and underflowing ones. */
static int on_number(void *ctx, const char *t, size_t n)
{
  struct scan *s = ctx;
  const char *digits = t, *end = t + n;
  char small[64], *copy = small;
  size_t nd, max = sizeof(JSON_INT_MAX_TEXT) - 1;
  double d;

  if (is_int_literal(t, n)) {
    if (digits < end && *digits == '-')
      digits++;
    while (digits + 1 < end && *digits == '0')
      digits++;
    nd = (size_t)(end - digits);
    if (nd > max || (nd == max && memcmp(digits, JSON_INT_MAX_TEXT, max) > 0))
      return refuse_number(s, "an integer beyond +-2^53 (not exact)", t, n);
    return scalar(s, JSON_EV_NUMBER, t, n, false);
  }
  if (n >= sizeof(small) && (copy = malloc(n + 1)) == NULL) {
    s->rc = sb_err_set(s->err, SB_ENOMEM, NULL);
    return 0;
  }
  memcpy(copy, t, n);
  copy[n] = '\0';
  d = strtod(copy, NULL);
  if (copy != small)
    free(copy);
  if (!isfinite(d))
    return refuse_number(s, "a number too large for a double", t, n);
  if (d == 0.0 && nonzero_mantissa(t, n))
    return refuse_number(s, "a number too small for a double", t, n);
  return scalar(s, JSON_EV_NUMBER, t, n, false);
}

static int on_string(void *ctx, const unsigned char *v, size_t n)
{
  struct scan *s = ctx;
  if (s->may_nul && memchr(v, '\0', n) != NULL)
    return refuse(s, "has a string with a NUL character (\\u0000)");
  return scalar(s, JSON_EV_STRING, (const char *)v, n, false);
}

static int on_key(void *ctx, const unsigned char *k, size_t n)
{
  struct scan *s = ctx;
  size_t cut;

  if (s->may_nul && memchr(k, '\0', n) != NULL)
    return refuse(s, "has a key with a NUL character (\\u0000)");
  /* The key for messages, cut to fit (a copy per key: no printf here, it
   * runs for every key of every record on the wire). */
  cut = n < sizeof(s->key[0]) ? n : sizeof(s->key[0]) - 1;
  memcpy(s->key[s->depth], k, cut);
  s->key[s->depth][cut] = '\0';
  if (++s->count[s->depth] > JSON_MAX_ELEMENTS)
    return refuse(
        s, "has an object of more than " SB_STR(JSON_MAX_ELEMENTS) " members");
  s->key_hit = s->sp != NULL && s->depth == 1 && strlen(s->sp->key) == n &&
               memcmp(k, s->sp->key, n) == 0;
  emit(s, JSON_EV_KEY, (const char *)k, n, false);
  return 1;
}

static int open_container(struct scan *s, bool map)
{
  bool hit = s->key_hit && !map;
  s->key_hit = false;
  if (!value_begin(s))
    return 0;
  if (s->depth == JSON_MAX_DEPTH)
    return refuse(s, "is nested more than " SB_STR(JSON_MAX_DEPTH) " deep");
  emit(s, map ? JSON_EV_START_MAP : JSON_EV_START_ARRAY, NULL, 0, false);
  s->depth++;
  s->is_map[s->depth] = map;
  s->count[s->depth] = 0;
  s->key[s->depth][0] = '\0';
  if (hit) {
    s->spans_depth = s->depth;
    s->last_end = at(s);
  }
  return 1;
}

static int close_container(struct scan *s)
{
  emit(s, s->is_map[s->depth] ? JSON_EV_END_MAP : JSON_EV_END_ARRAY, NULL, 0,
       false);
  if (s->depth == s->spans_depth)
    s->spans_depth = 0;
  s->depth--;
  if (s->depth == 0)
    s->root_stop = at(s);
  return value_end(s);
}

static int on_start_map(void *ctx)
{
  return open_container(ctx, true);
}

static int on_start_array(void *ctx)
{
  return open_container(ctx, false);
}

static int on_end(void *ctx)
{
  return close_container(ctx);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

/*
 * yajl_alloc and the parse of s->text, in *st, guarded: false if memory
 * ran out inside yajl (yajl_mem.h), every block it held freed and s->h
 * NULL. The jump lands in this small frame, whose own variables the
 * parse does not change (setjmp's rule).
 */
static bool parse_guarded(struct scan *s, yajl_status *st)
{
  jmp_buf out;
  yajl_alloc_funcs funcs;

  s->mem.blocks = NULL;
  s->mem.out = &out;
  if (setjmp(out) != 0) {
    yajl_mem_drop(&s->mem);
    s->mem.out = NULL;
    s->h = NULL;
    return false;
  }
  funcs = yajl_mem_funcs(&s->mem);
  s->h = yajl_alloc(&callbacks, &funcs, s);
  /* The caller checked UTF-8 (json_parse does). */
  yajl_config(s->h, yajl_dont_validate_strings, 1);
  *st = yajl_parse(s->h, (const unsigned char *)s->text, s->len);
  if (*st == yajl_status_ok)
    *st = yajl_complete_parse(s->h);
  s->mem.out = NULL; /* yajl_free only frees */
  return true;
}

int json_strict_check(const char *text, size_t len, const char *what,
                      struct json_spans *spans, struct sb_err *err)
{
  return json_strict_parse(text, len, what, spans, NULL, NULL, err);
}

int json_strict_parse(const char *text, size_t len, const char *what,
                      struct json_spans *spans, const struct json_sink *sink,
                      size_t *root_end, struct sb_err *err)
{
  struct scan s;
  yajl_status st;

  memset(&s, 0, sizeof(s));
  s.text = text;
  s.len = len;
  s.what = what;
  s.err = err;
  s.sp = spans;
  s.sink = sink;
  /* yajl refuses a raw control byte in a string, so only an escape can
   * put a NUL there. */
  s.has_u = jcanon_has_u_escape(text, len);
  s.may_nul = s.has_u || memchr(text, '\0', len);
  if (spans != NULL) {
    spans->spans = NULL;
    spans->n = 0;
    spans->bad = SIZE_MAX;
  }
  /* yajl takes a form feed or a vertical tab for whitespace, JSON does
   * not (RFC 8259: space, tab, newline, carriage return), and a raw one
   * in a string is refused anyway: either way the text is not JSON. Said
   * before any event, so no decoder blames a record for it. */
  {
    const char *ff = memchr(text, '\f', len), *vt = memchr(text, '\v', len);
    const char *at = ff == NULL || (vt != NULL && vt < ff) ? vt : ff;
    if (at != NULL)
      return sb_err_set(err, SB_EJSON,
                        "%s is not valid JSON (a form feed or vertical tab "
                        "at byte %zu)",
                        what, (size_t)(at - text));
  }
  if (!parse_guarded(&s, &st)) {
    s.rc = sb_err_set(err, SB_ENOMEM, NULL);
  } else if (st == yajl_status_error && s.rc == 0 && s.done) {
    size_t off = s.root_end;
    while (off < len && (text[off] == ' ' || text[off] == '\t' ||
                         text[off] == '\n' || text[off] == '\r'))
      off++;
    s.rc = sb_err_set(err, SB_EJSON,
                      "%s is not valid JSON (unexpected data at byte %zu)",
                      what, off);
  } else if (st == yajl_status_error && s.rc == 0) {
    s.rc =
        sb_err_set(err, SB_EJSON, "%s is not valid JSON (error near byte %zu)",
                   what, yajl_get_bytes_consumed(s.h));
  }
  if (s.h != NULL)
    yajl_free(s.h);
  if (s.rc == 0 && s.done && root_end != NULL)
    *root_end = s.root_stop;
  if (s.rc != 0 && spans != NULL) {
    free(spans->spans);
    spans->spans = NULL;
    spans->n = 0;
  }
  return s.rc;
}

bool json_strict_tail_ok(const char *text, size_t end, size_t len)
{
  for (; end < len; end++) {
    if (text[end] != ' ' && text[end] != '\t' && text[end] != '\n' &&
        text[end] != '\r')
      return false;
  }
  return true;
}
