/*
 * buf.h - a growable byte buffer (curl's dynbuf in spirit).
 *
 * Members are touched only through this API. The content is always
 * NUL-terminated. A failing call frees what the buffer held and makes
 * every later call fail too, so callers may check once, at the end.
 */
#ifndef SAMBANG_BUF_H
#define SAMBANG_BUF_H

#include "compat.h"

#include <string.h>

struct buf {
  char *p;
  size_t len;
  size_t cap;
  bool failed;
};

/* Sets up an empty buffer; allocates nothing. */
void buf_init(struct buf *b);

/* Frees the contents; the buffer is empty and usable again. */
void buf_release(struct buf *b);

/* Empties the buffer, keeping its memory (and its failed state). */
void buf_reset(struct buf *b);

/* buf_add when the bytes do not fit: grows, then appends. */
int buf_add_grow(struct buf *b, const void *data, size_t n);

/* Appends n bytes. 0, or SB_ENOMEM (and the buffer is freed). Inline:
 * encoders append a few bytes at a time, dozens of times per record. A
 * failed buffer has no room (cap 0), so it always takes buf_add_grow. */
static inline int buf_add(struct buf *b, const void *data, size_t n)
{
  if (b->len + n + 1 > b->cap)
    return buf_add_grow(b, data, n);
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

/*
 * Room to write at least want bytes in place at the end (for a producer
 * such as zlib that writes into memory): returns where, and in *room how
 * many bytes fit there, or NULL (SB_ENOMEM: the buffer is freed). Then
 * buf_commit says how many were written.
 */
char *buf_space(struct buf *b, size_t want, size_t *room);

/* Counts n bytes written at buf_space's pointer (n <= its room). */
void buf_commit(struct buf *b, size_t n);

/* Appends a NUL-terminated string (inline: a literal's length is then
 * known at compile time, and encoders append many). */
static inline int buf_adds(struct buf *b, const char *s)
{
  return buf_add(b, s, strlen(s));
}

/* Appends the decimal digits of v. */
int buf_addu(struct buf *b, uint64_t v);

/*
 * Makes room in the array items (of *cap elements of size bytes) for
 * element n: returned unchanged if n < *cap, else grown by doubling
 * (first: the first capacity), so appending costs no realloc per element.
 * NULL (SB_ENOMEM) leaves items and *cap as they were.
 */
void *array_grow_to(void *items, size_t *cap, size_t n, size_t size,
                    size_t first);
/* (inline: most calls find room, on decoders' per-element paths) */
static inline void *array_grow(void *items, size_t *cap, size_t n, size_t size,
                               size_t first)
{
  return n < *cap ? items : array_grow_to(items, cap, n, size, first);
}

/*
 * Hands the content over (malloc'd, NUL-terminated, never NULL unless the
 * buffer failed) and leaves b empty.
 */
char *buf_take(struct buf *b, size_t *len);

#endif
