/*
 * vv.h - version vectors and dots.
 *
 * A version vector maps replica id -> counter: the causal history of one
 * record. Entries are kept sorted by replica id (strcmp) with counters > 0,
 * so equal vectors have equal bytes and the JSON encoding is canonical.
 * A dot (replica, counter) names one write; a vector covers a dot when
 * vv[replica] >= counter.
 */
#ifndef SAMBANG_VV_H
#define SAMBANG_VV_H

#include "compat.h"

#include "err.h"

#include <cjson/cJSON.h>

/* Replica ids: 1..SB_REPLICA_MAX characters of [A-Za-z0-9_-]. */
#define SB_REPLICA_MAX 32
/* Counters and timestamps travel as JSON numbers: keep them exact. */
#define SB_COUNTER_MAX ((uint64_t)1 << 53)

struct dot {
  char replica[SB_REPLICA_MAX + 1];
  uint64_t counter;
};

struct vv_entry {
  char replica[SB_REPLICA_MAX + 1];
  uint64_t counter;
};

struct vv {
  struct vv_entry *v; /* sorted by replica, counters > 0 */
  size_t n;
  size_t cap;
};

enum vv_order { VV_EQUAL, VV_BEFORE, VV_AFTER, VV_CONCURRENT };

/* True if s is a well-formed replica id. */
bool vv_replica_id_valid(const char *s);

/* Orders dots by replica id, then counter. */
int vv_dot_cmp(const struct dot *a, const struct dot *b);

/* Sets up an empty vector; allocates nothing. */
void vv_init(struct vv *vv);

/* Frees the contents; the vector is empty (and reusable) afterwards. */
void vv_release(struct vv *vv);

/* The counter of replica (0 if absent). */
uint64_t vv_get(const struct vv *vv, const char *replica);

/*
 * Sets vv[replica] = counter (counter 0 removes the entry).
 * On error (SB_ENOMEM, SB_EINVAL for a bad replica id) vv is unaltered.
 */
int vv_set(struct vv *vv, const char *replica, uint64_t counter);

/* True if vv has seen the write named by d. */
bool vv_covers(const struct vv *vv, const struct dot *d);

/* How a relates to b: equal, strictly before, strictly after, concurrent. */
enum vv_order vv_compare(const struct vv *a, const struct vv *b);

/* into = pointwise max(into, from). On error into is unaltered. */
int vv_merge(struct vv *into, const struct vv *from);

/* dst = a copy of src (dst is released first). On error dst is empty. */
int vv_copy(struct vv *dst, const struct vv *src);

/* A new JSON object {"replica": counter, ...} in canonical order, or NULL. */
cJSON *vv_to_json(const struct vv *vv);

/*
 * Reads a JSON object of replica -> positive integer counter into vv
 * (released first). Refuses bad ids, non-integers, counters <= 0 or
 * > SB_COUNTER_MAX with SB_EINVAL and a message naming the bad entry.
 */
int vv_from_json(struct vv *vv, const cJSON *json, struct sb_err *err);

#endif
