/* buf.c - growable byte buffer (see buf.h). */
#include "compat.h"

#include "buf.h"

#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
  b->p = NULL;
  b->len = 0;
  b->cap = 0;
  b->failed = false;
}

void buf_release(struct buf *b)
{
  free(b->p);
  buf_init(b);
}

void buf_reset(struct buf *b)
{
  b->len = 0;
  if (b->p != NULL)
    b->p[0] = '\0';
}

/* Makes room for n more bytes and the NUL. 0, or SB_ENOMEM (freed). */
static int grow(struct buf *b, size_t n)
{
  size_t cap = b->cap ? b->cap : 64;
  char *p;

  if (b->failed)
    return SB_ENOMEM;
  if (b->len + n + 1 <= b->cap)
    return 0;
  while (cap < b->len + n + 1)
    cap *= 2;
  p = realloc(b->p, cap);
  if (p == NULL) {
    buf_release(b);
    b->failed = true;
    return SB_ENOMEM;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

int buf_add_grow(struct buf *b, const void *data, size_t n)
{
  if (grow(b, n) != 0)
    return SB_ENOMEM;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

char *buf_space(struct buf *b, size_t want, size_t *room)
{
  *room = 0;
  if (grow(b, want) != 0)
    return NULL;
  *room = b->cap - b->len - 1;
  return b->p + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
  if (b->failed || b->p == NULL || n > b->cap - b->len - 1)
    return;
  b->len += n;
  b->p[b->len] = '\0';
}

int buf_addu(struct buf *b, uint64_t v)
{
  /* By hand: this is on the hot path of every record encoding. */
  char digits[24];
  size_t i = sizeof(digits);
  do {
    digits[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return buf_add(b, digits + i, sizeof(digits) - i);
}

char *buf_take(struct buf *b, size_t *len)
{
  char *p;
  if (b->failed) {
    b->failed = false;
    return NULL;
  }
  if (b->p == NULL && buf_add(b, "", 0) != 0)
    return NULL;
  p = b->p;
  if (len != NULL)
    *len = b->len;
  buf_init(b);
  return p;
}

void *array_grow_to(void *items, size_t *cap, size_t n, size_t size,
                    size_t first)
{
  size_t want = *cap != 0 ? *cap : first;
  void *p;

  if (n < *cap)
    return items;
  while (want <= n)
    want *= 2;
  if (want > SIZE_MAX / size)
    return NULL;
  p = realloc(items, want * size);
  if (p != NULL)
    *cap = want;
  return p;
}
