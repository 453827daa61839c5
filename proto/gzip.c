/*
 * gzip.c - gzip bodies with zlib (see gzip.h).
 *
 * Inflation writes into a buffer sized from the body's own length field
 * (a hint) and stops as soon as the output passes the cap, so a "zip
 * bomb" costs at most the cap.
 */
#include "compat.h"

#include "gzip.h"

#include "buf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define GZIP_WINDOW (15 + 16) /* 32 KiB window, gzip wrapper only */
#define GZIP_STEP (64 * 1024)

/* zlib allocates through the project's malloc and free (as its own
 * default does: zlib clears what it needs itself, so no calloc, which
 * would clear a deflate state's ~256 KiB on every body), so the tests
 * that make allocations fail (tests/unit/oom.h) reach zlib's too. */
static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
  (void)opaque;
  if (size != 0 && items > SIZE_MAX / size)
    return NULL;
  return malloc((size_t)items * size);
}

static void zlib_free(voidpf opaque, voidpf p)
{
  (void)opaque;
  free(p);
}

static void stream_zero(z_stream *z)
{
  memset(z, 0, sizeof(*z));
  z->zalloc = zlib_alloc;
  z->zfree = zlib_free;
}

/* Starts deflating z: level 1 (bodies are JSON, which compresses well
 * even at the fastest), a gzip wrapper. gzip_deflate and the stream both
 * start here, so the same input gives them the same bytes. */
static bool deflate_start(z_stream *z)
{
  stream_zero(z);
  return deflateInit2(z, 1, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) ==
         Z_OK;
}

/* The size the body says it inflates to (the last member's ISIZE, RFC
 * 1952: a hint, never trusted), within what deflate can reach from len
 * bytes (1032:1) and max; at least one step. */
static size_t inflated_hint(const unsigned char *in, size_t len, size_t max)
{
  size_t isize = 0, reach = len <= SIZE_MAX / 1032 ? len * 1032 : SIZE_MAX;

  if (len >= 18)
    isize = (size_t)in[len - 4] | (size_t)in[len - 3] << 8 |
            (size_t)in[len - 2] << 16 | (size_t)in[len - 1] << 24;
  if (isize > reach)
    isize = reach;
  if (isize > max)
    isize = max;
  return isize < GZIP_STEP ? GZIP_STEP : isize;
}

int gzip_inflate(const void *in, size_t len, size_t max, char **out,
                 size_t *out_len, struct sb_err *err)
{
  z_stream z;
  struct buf b;
  size_t want, room, made;
  char *at;
  int zrc, rc = 0;

  *out = NULL;
  *out_len = 0;
  if (len > UINT_MAX)
    return sb_err_set(err, SB_ETOOBIG, "gzip body of %zu bytes is too large",
                      len);
  stream_zero(&z);
  if (inflateInit2(&z, GZIP_WINDOW) != Z_OK)
    return sb_err_set(err, SB_ENOMEM, "cannot start inflating (zlib)");
  buf_init(&b);
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)len;
  if (len == 0) {
    rc = sb_err_set(err, SB_EPROTOCOL, "gzip body is empty");
    goto out;
  }
  /* Inflated in place into the buffer, sized once from the hint when the
   * hint is right; zlib never writes past max + 1 bytes, so a bomb costs
   * at most the cap. */
  want = inflated_hint(in, len, max);
  for (;;) {
    at = buf_space(&b, want, &room);
    if (at == NULL) {
      rc = sb_err_set(err, SB_ENOMEM, "out of memory inflating");
      goto out;
    }
    if (room > max + 1 - b.len)
      room = max + 1 - b.len;
    if (room > UINT_MAX)
      room = UINT_MAX;
    z.next_out = (Bytef *)at;
    z.avail_out = (uInt)room;
    zrc = inflate(&z, Z_NO_FLUSH);
    if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
      rc = zrc == Z_MEM_ERROR
               ? sb_err_set(err, SB_ENOMEM, "out of memory inflating")
               : sb_err_set(err, SB_EPROTOCOL, "gzip body does not inflate: %s",
                            z.msg != NULL ? z.msg : "corrupt data");
      goto out;
    }
    made = room - z.avail_out;
    buf_commit(&b, made);
    if (b.len > max) {
      rc = sb_err_set(err, SB_ETOOBIG, "gzip body inflates to over %zu bytes",
                      max);
      goto out;
    }
    if (zrc == Z_STREAM_END) {
      if (z.avail_in == 0)
        break;
      /* Another member follows (RFC 1952 allows several). */
      if (inflateReset(&z) != Z_OK) {
        rc = sb_err_set(err, SB_EPROTOCOL, "gzip body does not inflate");
        goto out;
      }
      continue;
    }
    if (zrc == Z_BUF_ERROR || (z.avail_in == 0 && z.avail_out != 0)) {
      /* No progress possible: the input ended inside a member. */
      rc = sb_err_set(err, SB_EPROTOCOL,
                      "gzip body is truncated (%zu bytes in)", len);
      goto out;
    }
    want = GZIP_STEP; /* the hint was short: grow (buf doubles) */
  }
  *out = buf_take(&b, out_len);
  if (*out == NULL)
    rc = sb_err_set(err, SB_ENOMEM, "out of memory inflating");
out:
  inflateEnd(&z);
  buf_release(&b);
  return rc;
}

int gzip_deflate(const void *in, size_t len, char **out, size_t *out_len,
                 struct sb_err *err)
{
  z_stream z;
  uLong bound;
  unsigned char *dst;
  int zrc;

  *out = NULL;
  *out_len = 0;
  if (len > UINT_MAX)
    return sb_err_set(err, SB_ETOOBIG, "body of %zu bytes is too large", len);
  if (!deflate_start(&z))
    return sb_err_set(err, SB_ENOMEM, "cannot start deflating (zlib)");
  bound = deflateBound(&z, (uLong)len);
  dst = malloc(bound);
  if (dst == NULL) {
    deflateEnd(&z);
    return sb_err_set(err, SB_ENOMEM, "out of memory deflating");
  }
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)len;
  z.next_out = dst;
  z.avail_out = (uInt)bound;
  zrc = deflate(&z, Z_FINISH);
  if (zrc != Z_STREAM_END) {
    deflateEnd(&z);
    free(dst);
    return sb_err_set(err, SB_EINTERNAL, "deflate failed (%d)", zrc);
  }
  *out_len = z.total_out;
  *out = (char *)dst;
  deflateEnd(&z);
  return 0;
}

struct gzip_stream {
  z_stream z;
  struct buf out;
  bool failed;
};

struct gzip_stream *gzip_stream_new(void)
{
  struct gzip_stream *g = calloc(1, sizeof(*g));

  if (g == NULL)
    return NULL;
  buf_init(&g->out);
  if (!deflate_start(&g->z)) {
    free(g);
    return NULL;
  }
  return g;
}

/* Runs deflate over what is queued in g->z with flush, into g->out. */
static void stream_run(struct gzip_stream *g, int flush)
{
  unsigned char chunk[GZIP_STEP];
  int zrc;

  do {
    g->z.next_out = chunk;
    g->z.avail_out = sizeof(chunk);
    zrc = deflate(&g->z, flush);
    if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
      g->failed = true;
      return;
    }
    buf_add(&g->out, (const char *)chunk, sizeof(chunk) - g->z.avail_out);
  } while (g->z.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
}

void gzip_stream_write(struct gzip_stream *g, const void *in, size_t len)
{
  if (g->failed || len == 0)
    return;
  if (len > UINT_MAX) {
    g->failed = true;
    return;
  }
  g->z.next_in = (Bytef *)(uintptr_t)in;
  g->z.avail_in = (uInt)len;
  stream_run(g, Z_NO_FLUSH);
}

int gzip_stream_end(struct gzip_stream *g, char **out, size_t *out_len,
                    struct sb_err *err)
{
  int rc = 0;

  *out = NULL;
  *out_len = 0;
  if (!g->failed) {
    g->z.next_in = NULL;
    g->z.avail_in = 0;
    stream_run(g, Z_FINISH);
  }
  if (!g->failed && !g->out.failed)
    *out = buf_take(&g->out, out_len);
  if (*out == NULL)
    rc = sb_err_set(err, SB_ENOMEM, "deflate failed or out of memory");
  buf_release(&g->out);
  deflateEnd(&g->z);
  free(g);
  return rc;
}

/* True if the q parameter text (after "q=") means zero. */
static bool q_is_zero(const char *q, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    if (q[i] != '0' && q[i] != '.')
      return false;
  }
  return n > 0;
}

bool gzip_accepted(const char *accept_encoding)
{
  const char *p = accept_encoding;

  while (p != NULL && *p != '\0') {
    const char *end = strchr(p, ','), *semi, *tok;
    size_t n, tn;
    bool zero = false;

    n = end != NULL ? (size_t)(end - p) : strlen(p);
    tok = p;
    while (n > 0 && (*tok == ' ' || *tok == '\t')) {
      tok++;
      n--;
    }
    semi = memchr(tok, ';', n);
    tn = semi != NULL ? (size_t)(semi - tok) : n;
    while (tn > 0 && (tok[tn - 1] == ' ' || tok[tn - 1] == '\t'))
      tn--;
    if (semi != NULL) {
      const char *q = semi + 1, *stop = tok + n;
      while (q < stop && (*q == ' ' || *q == '\t'))
        q++;
      if (stop - q >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
        size_t qn = (size_t)(stop - (q + 2));
        while (qn > 0 && (q[2 + qn - 1] == ' ' || q[2 + qn - 1] == '\t'))
          qn--;
        zero = q_is_zero(q + 2, qn);
      }
    }
    if (!zero && ((tn == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
                  (tn == 6 && strncasecmp(tok, "x-gzip", 6) == 0) ||
                  (tn == 1 && tok[0] == '*')))
      return true;
    p = end != NULL ? end + 1 : NULL;
  }
  return false;
}
