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

/* Appends n bytes. 0, or SB_ENOMEM (and the buffer is freed). */
int buf_add(struct buf *b, const void *data, size_t n);

/* Appends a NUL-terminated string. */
int buf_adds(struct buf *b, const char *s);

/* Appends the decimal digits of v. */
int buf_addu(struct buf *b, uint64_t v);

/*
 * Hands the content over (malloc'd, NUL-terminated, never NULL unless the
 * buffer failed) and leaves b empty.
 */
char *buf_take(struct buf *b, size_t *len);

#endif
