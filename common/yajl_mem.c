/*
 * yajl_mem.c - yajl's allocations, tracked (yajl_mem.h). Each block
 * carries a header linking it into the list of what yajl holds.
 */
#include "compat.h"

#include "yajl_mem.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* A block's header: the links, padded so the block after it is aligned
 * for anything malloc's would be. */
union yajl_block {
  struct {
    union yajl_block *prev, *next;
  } link;
  max_align_t align;
};

static void block_link(struct yajl_mem *m, union yajl_block *b)
{
  b->link.prev = NULL;
  b->link.next = m->blocks;
  if (m->blocks != NULL)
    m->blocks->link.prev = b;
  m->blocks = b;
}

static void block_unlink(struct yajl_mem *m, union yajl_block *b)
{
  if (b->link.prev != NULL)
    b->link.prev->link.next = b->link.next;
  else
    m->blocks = b->link.next;
  if (b->link.next != NULL)
    b->link.next->link.prev = b->link.prev;
}

/* Memory ran out: back to the guard (there is always one: yajl is only
 * called inside it), never a NULL to yajl. */
static _Noreturn void out_of_memory(struct yajl_mem *m)
{
  if (m->out == NULL)
    abort();
  longjmp(*m->out, 1);
}

static void *mem_malloc(void *ctx, size_t n)
{
  struct yajl_mem *m = ctx;
  union yajl_block *b =
      n <= SIZE_MAX - sizeof(*b) ? malloc(sizeof(*b) + n) : NULL;

  if (b == NULL)
    out_of_memory(m);
  block_link(m, b);
  return b + 1;
}

static void *mem_realloc(void *ctx, void *p, size_t n)
{
  struct yajl_mem *m = ctx;
  union yajl_block *old, *b;

  if (p == NULL)
    return mem_malloc(ctx, n);
  old = (union yajl_block *)p - 1;
  /* Out of the list while realloc may move it; back in either way. */
  block_unlink(m, old);
  b = n <= SIZE_MAX - sizeof(*b) ? realloc(old, sizeof(*b) + n) : NULL;
  if (b == NULL) {
    block_link(m, old); /* still yajl's, freed by yajl_mem_drop */
    out_of_memory(m);
  }
  block_link(m, b);
  return b + 1;
}

static void mem_free(void *ctx, void *p)
{
  struct yajl_mem *m = ctx;
  union yajl_block *b;

  if (p == NULL)
    return;
  b = (union yajl_block *)p - 1;
  block_unlink(m, b);
  free(b);
}

yajl_alloc_funcs yajl_mem_funcs(struct yajl_mem *m)
{
  yajl_alloc_funcs f = {mem_malloc, mem_realloc, mem_free, m};
  return f;
}

void yajl_mem_drop(struct yajl_mem *m)
{
  while (m->blocks != NULL) {
    union yajl_block *b = m->blocks;
    m->blocks = b->link.next;
    free(b);
  }
}
