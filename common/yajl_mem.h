/*
 * yajl_mem.h - yajl's allocations, made through the project's malloc and
 * tracked, so that memory running out inside yajl ends a parse cleanly.
 *
 * yajl 2.1 does not check what its allocations return: one that fails is
 * written through as a NULL pointer and the process dies. Handed these
 * functions instead of its defaults, yajl never sees a NULL: a failed
 * allocation jumps back to the caller's guard (yajl_mem.out, a jmp_buf
 * set around yajl_alloc and yajl_parse), which then frees every block
 * yajl still held (yajl_mem_drop) without asking yajl, whose state is
 * left mid-way. A jump out of yajl is safe there: yajl allocates only in
 * its own lexer and state stack, never while a callback of ours runs,
 * and it holds nothing but the blocks listed here.
 *
 * Going through malloc also lets the tests that make allocations fail
 * (tests/unit/oom.h) reach yajl's.
 */
#ifndef SAMBANG_YAJL_MEM_H
#define SAMBANG_YAJL_MEM_H

#include "compat.h"

#include <setjmp.h>
#include <yajl/yajl_common.h>

union yajl_block;

struct yajl_mem {
  union yajl_block *blocks; /* every block yajl holds */
  jmp_buf *out;             /* where a failed allocation jumps to */
};

/* The allocation functions for yajl_alloc, on m (out set before use). */
yajl_alloc_funcs yajl_mem_funcs(struct yajl_mem *m);

/* After a jump to m->out: frees every block yajl held. */
void yajl_mem_drop(struct yajl_mem *m);

#endif
