/*
 * hub_mem.h - what the push policy tests (test_hub_push*.c) share: a
 * second implementation of the hub's storage method table, in memory
 * (plain arrays, no SQLite), and one-line pushes. Built from hub_mem.c.
 */
#ifndef SAMBANG_TEST_HUB_MEM_H
#define SAMBANG_TEST_HUB_MEM_H

#include "check.h"

#include "hub_push.h"
#include "buf.h"
#include "hub_store.h"
#include "json.h"
#include "schema.h"

#define A "00000000000000aa"
#define B "00000000000000bb"
#define TS 1714550400000000ull
#define MAX_TS (TS * 2)

struct mem_row {
  char *collection, *id, *text;
  uint64_t seq;
};

struct mem_rows {
  struct mem_row *r;
  size_t n;
  uint64_t last_seq;
};

struct mem {
  const struct hub_store_ops *ops; /* push1's: NULL for mem_ops */
  struct mem_rows now, saved;      /* saved: the state at begin */
  bool in_tx;
  unsigned begins, commits, rollbacks;
  int fail_commits;      /* commits still to fail with SB_EBUSY */
  uint64_t newest;       /* the greatest newest_ts saved */
  struct buf prefetched; /* "collection/id " of each key prefetch was given */
};

/*
 * The in-memory backend: only what the push policy may use is set, the
 * rest stays NULL, so a call of anything else crashes the test.
 */
extern const struct hub_store_ops mem_ops;

/* mem_ops with settings (meta rows beside the records, seq 0, outside
 * the feed): the policy then holds pushes aside (hub_push_held.c). */
extern const struct hub_store_ops mem_held_ops;

/* *copy = every row of m (records and settings), as a copy of the store;
 * mem_put_back(m, copy) puts it back (no transaction may be open). */
void mem_copy(const struct mem *m, struct mem_rows *copy);
void mem_put_back(struct mem *m, const struct mem_rows *copy);
void mem_rows_free(struct mem_rows *rows);

/* The row of (c, id), or NULL. */
struct mem_row *mem_find(struct mem *m, const char *c, const char *id);

/* Frees m's rows (no transaction may be open). */
void mem_free(struct mem *m);

/* A record written by replica at ts with the JSON object fields. */
void make(struct record *r, const char *coll, const char *id,
          const char *replica, uint64_t ts, const char *fields);

/* A batch of n records pushed by pusher, max_ts MAX_TS. */
struct hub_push_batch batch_of(const char *pusher, struct record *recs,
                               size_t n);

/* Runs one batch alone through the policy; its rc. */
int push1(struct mem *m, const struct schema *schema, struct hub_push_batch *b);

#endif
