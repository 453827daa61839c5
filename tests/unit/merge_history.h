/*
 * merge_history.h - random replica histories for the merge property tests
 * (test_merge_property.c; see its top comment for what a history is), and
 * the small record helpers the merge tests share. Built from
 * merge_history.c into the merge test binaries.
 */
#ifndef SAMBANG_TEST_MERGE_HISTORY_H
#define SAMBANG_TEST_MERGE_HISTORY_H

#include "check.h"

#include "hlc.h"
#include "json.h"
#include "record.h"
#include "uuid.h"
#include "vv.h"

#define DEFAULT_ITERS 600
#define MAX_REPLICAS 5
#define NFIELDS 4

extern const char *const field_names[NFIELDS];

/* PRNG (splitmix64). */
struct rng {
  uint64_t s;
};

/* One logged write: a put of one field (a put of k fields logs k), or a
 * delete. vv is the writer's vector right after the write. */
struct write {
  struct dot dot;
  bool del;
  const char *field;
  char *value;
  uint64_t ts;
  struct vv vv;
};

struct replica {
  const char *id;
  struct record rec;
  struct hlc clock;
  int64_t skew_ms;
};

struct snap {
  size_t owner;
  struct record rec;
};

struct history {
  struct rng g;
  size_t nrep;
  struct replica rep[MAX_REPLICAS];
  struct record final[MAX_REPLICAS]; /* before the exchange */
  struct write *log;
  size_t nlog;
  struct snap *snap; /* every state a replica held, in order */
  size_t nsnap;
  const struct record **all; /* snapshots, finals, converged states */
  size_t nall;
};

/* $name as a decimal number, or dflt if unset; aborts on garbage. */
uint64_t env_u64(const char *name, uint64_t dflt);

/* A uniform number in [0, n). */
size_t rng_below(struct rng *g, size_t n);

/* record_encode(r), checked; the caller frees it. */
char *encode(const struct record *r);

/* *dst = a copy of src, checked. */
void copy(struct record *dst, const struct record *src);

/* *out = merge(a, b), computed on copies. */
void merged(struct record *out, const struct record *a, const struct record *b);

/* a and b encode to the same bytes. */
void check_same(const struct record *a, const struct record *b);

/* One of the states the history saw, at random. */
const struct record *any_state(struct history *h);

/* Runs check on SAMBANG_PROPERTY_ITERS histories. */
void for_histories(const char *test, void (*check)(struct history *));

/* True if r still holds w's dot (among the field's values or the tombstone). */
bool holds(const struct record *r, const struct write *w);

/*
 * A state holds exactly the writes its vector has seen that no other seen
 * write replaced: no write lost, none invented, and siblings are exactly
 * the concurrent writes none of which replaced the others.
 */
void check_against_log(const struct history *h, const struct record *r);

#endif
